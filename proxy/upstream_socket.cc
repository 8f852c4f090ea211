#include "proxy/upstream_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "proxy/core/config/proxy_config.h"

namespace ferry::proxy {
namespace {

void set_int_option(boost::asio::ip::tcp::socket& socket, int level, int name, int value) {
  ::setsockopt(socket.native_handle(), level, name, &value, sizeof value);
}

int whole_seconds(core::Duration d) {
  return static_cast<int>(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(d).count()));
}

}  // namespace

void configure_upstream_socket(boost::asio::ip::tcp::socket& socket,
                               const core::ClusterConfig& cluster) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  set_int_option(socket, IPPROTO_TCP, TCP_NODELAY, 1);
  if (cluster.tcp_keepalive.time.count() > 0) {
    set_int_option(socket, SOL_SOCKET, SO_KEEPALIVE, 1);
    set_int_option(socket, IPPROTO_TCP, TCP_KEEPIDLE, whole_seconds(cluster.tcp_keepalive.time));
    set_int_option(socket, IPPROTO_TCP, TCP_KEEPINTVL,
                   whole_seconds(cluster.tcp_keepalive.interval));
    set_int_option(socket, IPPROTO_TCP, TCP_KEEPCNT,
                   static_cast<int>(cluster.tcp_keepalive.probes));
  }
  if (cluster.tcp_user_timeout.count() > 0) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(cluster.tcp_user_timeout);
    set_int_option(socket, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(ms.count()));
  }
}

}  // namespace ferry::proxy
