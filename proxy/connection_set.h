#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "proxy/core/config/proxy_config.h"

namespace ferry::proxy {

// What a worker needs from any live downstream connection, whatever its
// protocol: draining and shutdown.
class Connection {
 public:
  virtual ~Connection() = default;
  // The listener is draining: finish the request in flight, then close
  // (HTTP/1: `Connection: close` on the next response; idle keep-alive
  // connections close at once). TCP connections ignore it and run to the end.
  virtual void drain() = 0;
  // Close now, resetting whatever is in flight (process exit).
  virtual void close() = 0;
};

// The live connections of one worker, for draining and shutdown. Worker
// thread only. Holds weak references: a connection owns itself (its handlers
// hold the shared_ptr) and removes itself when it ends.
class ConnectionSet {
 public:
  void add(const std::shared_ptr<Connection>& c, const void* listener, core::Direction direction) {
    live_[c.get()] = Entry{c, listener, direction};
  }
  void remove(Connection* c) { live_.erase(c); }
  std::size_t size() const { return live_.size(); }

  template <typename Fn>
  void for_each(Fn&& fn) {
    for_each_if([](const Entry&) { return true; }, fn);
  }
  template <typename Fn>
  void for_each_of_direction(core::Direction direction, Fn&& fn) {
    for_each_if([direction](const Entry& e) { return e.direction == direction; }, fn);
  }
  // The connections accepted by one listener object.
  template <typename Fn>
  void for_each_of_listener(const void* listener, Fn&& fn) {
    for_each_if([listener](const Entry& e) { return e.listener == listener; }, fn);
  }

 private:
  struct Entry {
    std::weak_ptr<Connection> connection;
    const void* listener;
    core::Direction direction;
  };

  template <typename Pred, typename Fn>
  void for_each_if(Pred&& pred, Fn& fn) {
    // Callbacks may remove connections: iterate over a copy of the strong refs.
    std::vector<std::shared_ptr<Connection>> chosen;
    chosen.reserve(live_.size());
    for (auto& [ptr, entry] : live_) {
      if (!pred(entry)) {
        continue;
      }
      if (auto c = entry.connection.lock()) {
        chosen.push_back(std::move(c));
      }
    }
    for (auto& c : chosen) {
      fn(*c);
    }
  }

  std::unordered_map<Connection*, Entry> live_;
};

}  // namespace ferry::proxy
