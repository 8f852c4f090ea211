#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/core/address.h"

namespace ferry::proxy {

// Resolves endpoint host names on the main thread's loop (getaddrinfo runs
// on Asio's private resolver thread, never on a worker) and re-resolves each
// name every `interval`. Calls `on_change` on main whenever a name's address
// list changes, and once every name has had its first answer
// (`initial_done()` turns true then). A failed lookup keeps the previous
// addresses (a DNS blip never empties a cluster).
class DnsRefresher {
 public:
  using OnChange = std::function<void()>;
  DnsRefresher(boost::asio::io_context& main, OnChange on_change);

  // Adds a name to follow; call before start(). Same name twice is one entry
  // (the shortest interval wins).
  void watch(const std::string& host, std::chrono::steady_clock::duration interval);
  void start();
  void stop();

  bool initial_done() const { return pending_initial_ == 0; }
  // Current addresses of `host` (port 0); empty until resolved.
  const std::vector<core::SocketAddress>& addresses(const std::string& host) const;

 private:
  struct Entry {
    std::chrono::steady_clock::duration interval;
    std::vector<core::SocketAddress> addresses;
    std::unique_ptr<boost::asio::steady_timer> timer;
    bool answered = false;
  };
  void resolve(const std::string& host);
  void on_resolved(const std::string& host, const boost::system::error_code& ec,
                   const boost::asio::ip::tcp::resolver::results_type& results);

  boost::asio::io_context& main_;
  boost::asio::ip::tcp::resolver resolver_;
  OnChange on_change_;
  std::map<std::string, Entry> entries_;
  std::size_t pending_initial_ = 0;
  bool stopped_ = false;
};

}  // namespace ferry::proxy
