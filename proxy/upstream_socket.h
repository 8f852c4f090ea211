#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace ferry::core {
struct ClusterConfig;
}

namespace ferry::proxy {

// What every connection to an upstream gets once connected, TCP and HTTP
// alike: non-blocking, TCP_NODELAY, and the cluster's keepalive probes and
// TCP_USER_TIMEOUT, which notice a blackholed peer that would otherwise hold
// the connection until the idle timeout.
void configure_upstream_socket(boost::asio::ip::tcp::socket& socket,
                               const core::ClusterConfig& cluster);

}  // namespace ferry::proxy
