#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "filters/resource_slot.h"
#include "proxy/buffer_pool.h"
#include "proxy/connection_set.h"
#include "proxy/listener.h"

namespace ferry::filters {
class Host;
}

namespace ferry::proxy {

class Cluster;
class RuntimeSnapshot;
class Worker;

// One downstream TCP connection proxied to one upstream endpoint (`protocol:
// tcp` listeners). Owns itself: every pending handler holds the shared_ptr.
// Worker thread only.
//
// Life: pick an endpoint (round robin) → connect with the cluster's connect
// timeout, failing over once to another endpoint → pump both directions until
// both sides have closed. Each direction holds a pooled buffer only while
// bytes are in transit and reads again only once the peer took them
// (back-pressure, bounded memory). A FIN is carried across as a half-close; a
// reset is carried across as a reset. No byte in either direction for
// `idle_timeout` closes both sides.
class TcpProxySession : public Connection, public std::enable_shared_from_this<TcpProxySession> {
 public:
  TcpProxySession(Worker& worker, std::shared_ptr<Listener> listener,
                  boost::asio::ip::tcp::socket downstream);
  ~TcpProxySession() override;

  void start();
  // A tunnel after an HTTP upgrade (101 or CONNECT 2xx): the upstream is
  // already connected; `to_upstream` / `to_downstream` are bytes already read
  // on one side and not yet written to the other (the 101 head among them).
  // The session takes over the listener admission of the HTTP connection.
  void start_connected(boost::asio::ip::tcp::socket upstream, std::string to_upstream,
                       std::string to_downstream);
  void drain() override {}  // a TCP stream runs to its end (DESIGN.md draining step 4)
  void close() override { finish(/*reset=*/true); }

 private:
  // One direction of the stream.
  struct Flow {
    boost::asio::ip::tcp::socket* from = nullptr;
    boost::asio::ip::tcp::socket* to = nullptr;
    BufferPool::Buffer buffer;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool done = false;  // EOF read and carried across
    core::Counter* bytes = nullptr;
  };

  void connect_next();
  void on_connected(const boost::system::error_code& ec);
  void configure_upstream();
  void start_flows();
  void write_prefix(Flow& flow, const std::string& bytes);

  void read(Flow& flow);
  void wait_readable(Flow& flow);
  void write(Flow& flow);
  void on_flow_done(Flow& flow);

  void arm_timer(std::chrono::steady_clock::duration after);
  void on_timer(const boost::system::error_code& ec);
  void finish(bool reset);

  Worker& worker_;
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  const Cluster* cluster_ = nullptr;
  filters::Host* host_ = nullptr;
  boost::asio::ip::tcp::socket downstream_;
  boost::asio::ip::tcp::socket upstream_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point connect_deadline_;
  Flow to_upstream_;
  Flow to_downstream_;
  filters::ResourceSlot connection_slot_;
  int attempts_ = 0;
  bool connected_ = false;
  bool finished_ = false;
};

}  // namespace ferry::proxy
