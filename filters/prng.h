#pragma once

#include <array>
#include <cstdint>

namespace ferry::filters {

// A small, fast pseudo-random generator (xoshiro256**, seeded through
// splitmix64) for policy decisions: jitter, power-of-two choices, fault
// percentages. Not for anything secret.
//
// Not thread-safe: each owner (a worker's load balancer, one request's retry
// state, one host's health-check state) has its own. Tests seed it to make
// draws reproducible; production seeds come from `Prng::entropy_seed()` once
// per long-lived owner, or from the worker's own generator for short-lived
// ones (a request), which avoids a system call per request.
class Prng {
 public:
  explicit Prng(std::uint64_t seed);

  // A seed from std::random_device. A system call: for long-lived owners only.
  static std::uint64_t entropy_seed();

  std::uint64_t next();

  // Uniform in [0, bound); 0 when bound is 0. Unbiased (Lemire's
  // multiply-and-reject).
  std::uint64_t uniform(std::uint64_t bound);

  // Uniform in [0, 1).
  double uniform_unit();

  // True with probability `parts_per_million` / 1'000'000 (saturating at 1).
  bool chance_ppm(std::uint32_t parts_per_million);

 private:
  std::array<std::uint64_t, 4> s_;
};

// A percentage in [0, 100] as parts per million, so fault percentages like
// 0.1% are exact integers; values outside the range are clamped.
std::uint32_t percent_to_ppm(double percent);

}  // namespace ferry::filters
