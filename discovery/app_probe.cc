#include "discovery/app_probe.h"

#include <cstring>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ferry::discovery {
namespace asio = boost::asio;

struct AppProbe::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(asio::io_context& context) : io(context), socket(context), timer(context) {}

  void finish(boost::system::error_code ec) {
    if (!callback) {
      return;
    }
    ++generation;
    boost::system::error_code ignored;
    socket.close(ignored);
    timer.cancel();
    Callback cb = std::move(callback);
    callback = nullptr;
    cb(ec);
  }

  asio::io_context& io;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  Callback callback;
  std::uint64_t generation = 0;
};

AppProbe::AppProbe(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

AppProbe::~AppProbe() {
  cancel();
}

void AppProbe::probe(const core::SocketAddress& address, core::Duration timeout,
                     Callback callback) {
  cancel();
  Impl& impl = *impl_;
  impl.callback = std::move(callback);
  const std::uint64_t gen = ++impl.generation;
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.data(), address.size());
  endpoint.resize(address.size());
  std::weak_ptr<Impl> weak = impl_;
  impl.timer.expires_after(timeout);
  impl.timer.async_wait([weak, gen](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || ec == asio::error::operation_aborted || gen != self->generation) {
      return;
    }
    self->finish(asio::error::timed_out);
  });
  impl.socket.async_connect(endpoint, [weak, gen](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || gen != self->generation) {
      return;
    }
    self->finish(ec);
  });
}

void AppProbe::cancel() {
  Impl& impl = *impl_;
  if (!impl.callback) {
    return;
  }
  ++impl.generation;
  impl.callback = nullptr;
  boost::system::error_code ignored;
  impl.socket.close(ignored);
  impl.timer.cancel();
}

bool AppProbe::busy() const {
  return static_cast<bool>(impl_->callback);
}

}  // namespace ferry::discovery
