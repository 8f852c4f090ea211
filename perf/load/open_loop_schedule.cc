#include "perf/load/open_loop_schedule.h"

#include <cmath>

namespace ferry::perf {

OpenLoopSchedule::OpenLoopSchedule(double rate, std::uint32_t connections, std::uint64_t start_ns)
    : rate_(rate),
      connections_(connections),
      start_ns_(start_ns),
      interval_ns_(1e9L / static_cast<long double>(rate)) {}

std::uint64_t OpenLoopSchedule::global_ns(std::uint64_t g) const {
  // long double keeps the product exact to the nanosecond for any run that
  // fits in a lifetime (64-bit mantissa).
  return start_ns_ + static_cast<std::uint64_t>(static_cast<long double>(g) * interval_ns_);
}

std::uint64_t OpenLoopSchedule::intended_ns(std::uint32_t connection, std::uint64_t n) const {
  return global_ns(connection + n * connections_);
}

std::uint64_t OpenLoopSchedule::first_at_or_after(std::uint32_t connection,
                                                  std::uint64_t time_ns) const {
  if (time_ns <= intended_ns(connection, 0)) {
    return 0;
  }
  // Estimate from the inverse, then settle the rounding with exact checks.
  const long double g = static_cast<long double>(time_ns - start_ns_) / interval_ns_;
  const long double n_real = (g - static_cast<long double>(connection)) / connections_;
  std::uint64_t n = n_real <= 0 ? 0 : static_cast<std::uint64_t>(std::ceil(n_real));
  while (n > 0 && intended_ns(connection, n - 1) >= time_ns) {
    --n;
  }
  while (intended_ns(connection, n) < time_ns) {
    ++n;
  }
  return n;
}

std::uint64_t OpenLoopSchedule::count_between(std::uint32_t connection, std::uint64_t from_ns,
                                              std::uint64_t to_ns) const {
  if (to_ns <= from_ns) {
    return 0;
  }
  return first_at_or_after(connection, to_ns) - first_at_or_after(connection, from_ns);
}

}  // namespace ferry::perf
