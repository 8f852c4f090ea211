#include "proxy/acceptor.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>

#include "proxy/core/log.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

using boost::asio::ip::tcp;

// Connections taken per wake-up before yielding to the rest of the loop.
constexpr int kAcceptBatch = 64;
constexpr auto kOutOfDescriptorsBackoff = std::chrono::milliseconds(100);

}  // namespace

ReserveDescriptor::ReserveDescriptor() {
  restore();
}

ReserveDescriptor::~ReserveDescriptor() {
  const int fd = fd_.exchange(-1);
  if (fd >= 0) {
    ::close(fd);
  }
}

void ReserveDescriptor::restore() {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int previous = fd_.exchange(fd);
  if (previous >= 0) {
    ::close(previous);
  }
}

Acceptor::Acceptor(Worker& worker, std::shared_ptr<Listener> listener, int fd,
                   ReserveDescriptor& reserve, ConnectionFactory factory)
    : worker_(worker),
      listener_(std::move(listener)),
      acceptor_(worker.context()),
      backoff_(worker.context()),
      reserve_(reserve),
      factory_(std::move(factory)) {
  const auto protocol = listener_->address().is_v6() ? tcp::v6() : tcp::v4();
  acceptor_.assign(protocol, fd);
}

void Acceptor::start() {
  // The socket may already hold queued connections: try before waiting.
  boost::asio::post(worker_.context(), [self = shared_from_this()] { self->on_readable({}); });
}

void Acceptor::wait() {
  acceptor_.async_wait(
      tcp::acceptor::wait_read,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_readable(ec); });
}

void Acceptor::on_readable(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::operation_aborted || stopped_) {
    return;
  }
  if (accept_batch(kAcceptBatch)) {
    if (!stopped_ && !backing_off_) {
      wait();
    }
    return;
  }
  // More may be queued: continue after other handlers had their turn. Waiting
  // on readiness here could miss connections already queued (edge-triggered).
  boost::asio::post(worker_.context(), [self = shared_from_this()] { self->on_readable({}); });
}

bool Acceptor::accept_batch(int budget) {
  for (int i = 0; i < budget && !stopped_; ++i) {
    const int fd =
        ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      dispatch(fd);
      continue;
    }
    switch (errno) {
      case EAGAIN:
        return true;
      case EINTR:
      case ECONNABORTED:
      case EPROTO:
        continue;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        handle_out_of_descriptors();
        return true;
      default:
        listener_->stats().accept_errors.inc();
        FERRY_LOG_LIMITED(spdlog::level::warn, "listener {}: accept failed: {}", listener_->name(),
                          std::strerror(errno));
        return true;
    }
  }
  return false;
}

void Acceptor::handle_out_of_descriptors() {
  const int spare = reserve_.take();
  if (spare >= 0) {
    ::close(spare);
    const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      listener_->stats().connections_overflow.inc();
    }
    reserve_.restore();
  } else {
    // An earlier restore found no free descriptor: try again, or the reserve
    // stays lost for the life of the process.
    reserve_.restore();
  }
  FERRY_LOG_LIMITED(spdlog::level::warn,
                    "listener {}: out of file descriptors, refusing connections for {} ms",
                    listener_->name(), kOutOfDescriptorsBackoff.count());
  // Pause accepting so a listening socket that stays readable never spins.
  backing_off_ = true;
  backoff_.expires_after(kOutOfDescriptorsBackoff);
  backoff_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->backing_off_ = false;
    if (!ec) {
      self->on_readable({});
    }
  });
}

void Acceptor::dispatch(int fd) {
  if (!listener_->try_admit()) {
    // Over the cap: close at once (RST) so the client learns immediately.
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(fd);
    listener_->stats().connections_overflow.inc();
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  listener_->stats().connections_total.inc();
  listener_->stats().connections_active.inc();
  tcp::socket socket(worker_.context());
  boost::system::error_code ec;
  socket.assign(listener_->address().is_v6() ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    listener_->release();
    listener_->stats().connections_active.dec();
    return;
  }
  factory_(worker_, listener_, std::move(socket));
}

void Acceptor::stop() {
  if (stopped_) {
    return;
  }
  // Serve what the kernel queued before closing: closing a listening socket
  // resets the connections still in its accept queue.
  accept_batch(1 << 20);
  stopped_ = true;
  backoff_.cancel();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace ferry::proxy
