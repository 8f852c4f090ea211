#include "perf/load/load_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "perf/load/load_worker.h"

namespace ferry::perf {
namespace {

constexpr std::uint64_t kBackoffFirstNs = 1'000'000;  // 1 ms
constexpr std::uint64_t kBackoffMaxNs = 100'000'000;  // 100 ms

}  // namespace

LoadConnection::LoadConnection(LoadWorker& worker, std::uint32_t index)
    : worker_(worker), index_(index) {}

LoadConnection::~LoadConnection() {
  close_socket();
}

void LoadConnection::start(std::uint64_t now_ns) {
  if (worker_.plan().open_loop()) {
    refused_.reserve(64);
  }
  connect(now_ns);
}

void LoadConnection::connect(std::uint64_t now_ns) {
  const auto& address = worker_.plan().address;
  connect_started_ns_ = now_ns;
  answered_since_connect_ = false;
  fd_ = ::socket(address.data()->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    connect_failed();
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = this;
  if (::epoll_ctl(worker_.epoll_fd(), EPOLL_CTL_ADD, fd_, &event) != 0) {
    connect_failed();
    return;
  }
  state_ = State::Connecting;
  if (::connect(fd_, address.data(), address.size()) != 0 && errno != EINPROGRESS) {
    connect_failed();
  }
}

void LoadConnection::connect_failed() {
  worker_.record_connect_failure(monotonic_ns());
  close(FailureKind::Connect, true);
}

void LoadConnection::on_connected() {
  state_ = State::Open;
  session_ = worker_.plan().make_session(*this);
  worker_.record_connection();
  out_.clear();
  out_offset_ = 0;
  issue(monotonic_ns());
}

void LoadConnection::on_io(std::uint32_t events) {
  if (state_ == State::Connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
      return;
    }
    int error = 0;
    socklen_t len = sizeof(error);
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
      connect_failed();
      return;
    }
    on_connected();
    if (state_ != State::Open) {
      return;
    }
  }
  if (state_ != State::Open) {
    return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    read_all((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    if (state_ != State::Open) {
      return;
    }
    issue(monotonic_ns());
  } else if ((events & EPOLLOUT) != 0) {
    flush();
  }
}

void LoadConnection::read_all(bool peer_closing) {
  std::vector<std::uint8_t>& buffer = worker_.read_buffer();
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      worker_.record_bytes(static_cast<std::size_t>(n), monotonic_ns());
      if (!session_->on_data(buffer.data(), static_cast<std::size_t>(n))) {
        close(FailureKind::Protocol, true);
        return;
      }
      if (static_cast<std::size_t>(n) < buffer.size() && !peer_closing) {
        // A short read drained the socket (edge-triggered: the next data
        // raises a new event); saves the recv() that would say EAGAIN. Not
        // when the peer closed: its FIN raises no further event.
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    if (n == 0) {
      session_->on_eof();
    }
    // EOF or an error: whatever is in flight was cut off. A server that
    // never answered on this connection gets the back-off, not a tight loop.
    close(FailureKind::Reset, !answered_since_connect_);
    return;
  }
}

void LoadConnection::issue(std::uint64_t now_ns) {
  if (state_ != State::Open) {
    return;
  }
  const RunPlan& plan = worker_.plan();
  while (session_->capacity() > 0) {
    RequestTiming timing{now_ns, now_ns};
    bool from_schedule = false;
    if (!refused_.empty()) {
      timing = RequestTiming{refused_.back().intended_ns, now_ns};
    } else if (!plan.open_loop()) {
      if (now_ns >= plan.end_ns) {
        break;
      }
    } else {
      const std::uint64_t intended = plan.schedule->intended_ns(index_, next_);
      if (intended >= plan.end_ns) {
        break;
      }
      if (intended > now_ns) {
        worker_.arm(this, intended);
        break;
      }
      timing.intended_ns = intended;
      from_schedule = true;
    }
    if (!session_->submit(timing)) {
      break;
    }
    if (from_schedule) {
      ++next_;
    } else if (!refused_.empty()) {
      refused_.pop_back();
    }
  }
  flush();
}

void LoadConnection::flush() {
  if (state_ != State::Open) {
    return;
  }
  if (!session_->produce_output(out_)) {
    close(FailureKind::Protocol, true);
    return;
  }
  while (out_offset_ < out_.size()) {
    const ssize_t n =
        ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n > 0) {
      out_offset_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // EPOLLOUT resumes
    }
    close(FailureKind::Reset, !answered_since_connect_);
    return;
  }
  out_.clear();
  out_offset_ = 0;
  if (session_->finished() && session_->in_flight() == 0) {
    // Graceful end (Connection: close, GOAWAY): open a fresh connection.
    close(FailureKind::Reset, false);
  }
}

void LoadConnection::close_socket() {
  session_.reset();
  if (fd_ >= 0) {
    ::close(fd_);  // also leaves the epoll set
    fd_ = -1;
  }
}

void LoadConnection::close(FailureKind kind, bool backoff) {
  if (session_) {
    // Stays alive until fail_all returns: its callbacks land in this object.
    session_->fail_all(kind);
  }
  close_socket();
  state_ = State::Waiting;
  const std::uint64_t now = monotonic_ns();
  if (backoff) {
    backoff_ns_ = std::clamp(backoff_ns_ * 2, kBackoffFirstNs, kBackoffMaxNs);
  } else {
    backoff_ns_ = 0;
  }
  worker_.arm(this, now + backoff_ns_);
}

void LoadConnection::on_wake(std::uint64_t now_ns) {
  if (state_ == State::Waiting) {
    if (now_ns < worker_.plan().end_ns || !drained()) {
      connect(now_ns);
    }
    return;
  }
  issue(now_ns);
}

void LoadConnection::sweep(std::uint64_t now_ns) {
  const std::uint64_t timeout = worker_.plan().timeout_ns;
  if (timeout == 0 || now_ns < timeout) {
    return;
  }
  if (state_ == State::Connecting && now_ns - connect_started_ns_ >= timeout) {
    connect_failed();
    return;
  }
  if (state_ == State::Open && session_->in_flight() > 0) {
    if (session_->expire(now_ns - timeout)) {
      close(FailureKind::Timeout, false);
      return;
    }
    // HTTP/2: sends the RST_STREAM frames; streams they closed free room
    // that this or the next sweep fills (an open loop may have requests due).
    issue(now_ns);
  }
}

bool LoadConnection::drained() const {
  const RunPlan& plan = worker_.plan();
  if (!plan.open_loop()) {
    return true;
  }
  if (session_ && session_->in_flight() > 0) {
    return false;
  }
  if (!refused_.empty()) {
    return false;
  }
  return plan.schedule->intended_ns(index_, next_) >= plan.end_ns;
}

void LoadConnection::abandon() {
  const RunPlan& plan = worker_.plan();
  if (!plan.open_loop()) {
    return;
  }
  const std::uint64_t now = monotonic_ns();
  if (session_) {
    session_->expire(UINT64_MAX);
  }
  for (const RequestTiming& timing : refused_) {
    worker_.record_failure(timing, FailureKind::Timeout, now);
  }
  refused_.clear();
  // Intended inside the window but never sent: the server was too slow for
  // this connection to get to them.
  const std::uint64_t first =
      std::max(next_, plan.schedule->first_at_or_after(index_, plan.warm_ns));
  const std::uint64_t last = plan.schedule->first_at_or_after(index_, plan.end_ns);
  for (std::uint64_t n = first; n < last; ++n) {
    worker_.record_failure(RequestTiming{plan.schedule->intended_ns(index_, n), 0},
                           FailureKind::Timeout, now);
  }
  next_ = std::max(next_, last);
}

void LoadConnection::shut() {
  wake_at_ = 0;
  close_socket();
  state_ = State::Waiting;
}

void LoadConnection::on_response(const RequestTiming& timing, int status) {
  answered_since_connect_ = true;
  backoff_ns_ = 0;
  worker_.record_response(timing, status, monotonic_ns());
}

void LoadConnection::on_request_failed(const RequestTiming& timing, FailureKind kind) {
  worker_.record_failure(timing, kind, monotonic_ns());
}

void LoadConnection::on_request_refused(const RequestTiming& timing) {
  if (worker_.plan().open_loop()) {
    refused_.push_back(timing);
  }
}

}  // namespace ferry::perf
