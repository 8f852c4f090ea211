#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "proxy/listener.h"

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
  void add(const std::shared_ptr<Connection>& c, TrafficDirection direction) {
    live_[c.get()] = Entry{c, direction};
  }
  void remove(Connection* c) { live_.erase(c); }
  std::size_t size() const { return live_.size(); }

  template <typename Fn>
  void for_each(Fn&& fn) {
    for_each_if([](const Entry&) { return true; }, fn);
  }
  template <typename Fn>
  void for_each_of_direction(TrafficDirection direction, Fn&& fn) {
    for_each_if([direction](const Entry& e) { return e.direction == direction; }, fn);
  }

 private:
  struct Entry {
    std::weak_ptr<Connection> connection;
    TrafficDirection direction;
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
