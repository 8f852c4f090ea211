#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "filters/clock.h"
#include "filters/host.h"
#include "proxy/core/address.h"

namespace ferry::filters::testing {

// A host at 127.0.0.1:<port>.
inline std::shared_ptr<Host> make_host(int port) {
  auto address = core::SocketAddress::parse("127.0.0.1:" + std::to_string(port));
  return std::make_shared<Host>(*address, "");
}

inline std::vector<std::shared_ptr<Host>> make_hosts(int count, int first_port = 10000) {
  std::vector<std::shared_ptr<Host>> hosts;
  for (int i = 0; i < count; ++i) {
    hosts.push_back(make_host(first_port + i));
  }
  return hosts;
}

// Simulated time starts here (far from the clock's epoch, like a real one).
inline TimePoint start_time() {
  return TimePoint{} + std::chrono::hours(100);
}

}  // namespace ferry::filters::testing
