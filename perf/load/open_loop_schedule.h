#pragma once

#include <cstdint>

namespace ferry::perf {

// When each request of an open-loop run is meant to be sent.
//
// The run offers `rate` requests per second in total over `connections`
// connections. Requests are numbered globally g = 0, 1, 2 … and request g is
// intended at start + g / rate. Connection c owns the requests
// g ≡ c (mod connections), so its n-th request is g = c + n × connections:
// each connection runs at rate / connections, the connections are staggered
// by 1 / rate, and together they form one evenly spaced stream at exactly
// `rate` (never bursts of `connections` requests at once).
//
// Latency is measured from these intended times, so a request that waits
// for a busy or reconnecting connection is charged for the wait (no
// coordinated omission). Pure arithmetic; any thread.
class OpenLoopSchedule {
 public:
  // rate > 0, connections > 0; times are nanoseconds on one monotonic clock.
  OpenLoopSchedule(double rate, std::uint32_t connections, std::uint64_t start_ns);

  // Intended send time of connection `connection`'s request `n` (0-based).
  std::uint64_t intended_ns(std::uint32_t connection, std::uint64_t n) const;

  // The first n whose intended time is at or after `time_ns`.
  std::uint64_t first_at_or_after(std::uint32_t connection, std::uint64_t time_ns) const;

  // How many of the connection's requests are intended in [from_ns, to_ns).
  std::uint64_t count_between(std::uint32_t connection, std::uint64_t from_ns,
                              std::uint64_t to_ns) const;

  double rate() const { return rate_; }
  std::uint32_t connections() const { return connections_; }
  std::uint64_t start_ns() const { return start_ns_; }

 private:
  // Intended time of global request g.
  std::uint64_t global_ns(std::uint64_t g) const;

  double rate_;
  std::uint32_t connections_;
  std::uint64_t start_ns_;
  long double interval_ns_;
};

}  // namespace ferry::perf
