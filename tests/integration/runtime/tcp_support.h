#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tests/integration/support/net.h"

namespace ferry::test {

// Sends `payload` and reads the echo at the same time (so neither side's
// buffers fill up and stall), half-closes after the last byte, and returns
// everything read until the peer's FIN or `timeout`.
std::string exchange(Socket& socket, const std::string& payload,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Deterministic pseudo-random bytes.
std::string random_bytes(std::size_t n, std::uint64_t seed);

// A loopback address where a TCP connect never completes: a listener whose
// accept queue is full, so further SYNs are dropped. Holds the sockets.
class Blackhole {
 public:
  Blackhole();
  ~Blackhole();
  std::string address() const { return address_; }

 private:
  int listen_fd_ = -1;
  std::vector<int> fillers_;
  std::string address_;
};

// A port on 127.0.0.1 where nothing listens (connect is refused).
std::string refused_address();

// A listening socket on 127.0.0.1 with an ephemeral port; returns the fd and
// sets `address`. The caller closes it.
int listen_ephemeral(std::string* address);

// CPU seconds (user + system) the process has used so far.
double cpu_seconds(int pid);
// Resident set size of a process in bytes.
std::uint64_t rss_bytes(int pid);
// Open descriptors of a process.
int open_fds(int pid);

}  // namespace ferry::test
