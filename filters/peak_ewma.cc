#include "filters/peak_ewma.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "filters/host.h"

namespace ferry::filters {
namespace {

std::uint32_t stamp_ms(TimePoint now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  // Truncated: the difference of two stamps is right modulo 2^32 ms (49 days).
  return static_cast<std::uint32_t>(ms.count());
}

std::uint64_t pack(float estimate_ns, std::uint32_t stamp) {
  std::uint64_t packed =
      (static_cast<std::uint64_t>(std::bit_cast<std::uint32_t>(estimate_ns)) << 32) | stamp;
  // 0 means "never observed": an observation of exactly 0 ns at stamp 0
  // must not look like one.
  return packed == 0 ? 1 : packed;
}

float unpack_estimate(std::uint64_t packed) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(packed >> 32));
}

std::int64_t elapsed_ms(std::uint64_t packed, TimePoint now) {
  // Signed: another worker may have stamped a slightly later `now`.
  const auto diff = static_cast<std::int32_t>(stamp_ms(now) - static_cast<std::uint32_t>(packed));
  return std::max<std::int64_t>(diff, 0);
}

}  // namespace

PeakEwma::PeakEwma(const PeakEwmaOptions& options)
    : decay_ms_(std::max(1.0, std::chrono::duration<double, std::milli>(options.decay).count())),
      default_rtt_ns_(static_cast<double>(std::max<std::int64_t>(options.default_rtt.count(), 0))) {
}

double PeakEwma::weight(std::int64_t elapsed) const {
  return std::exp(-static_cast<double>(elapsed) / decay_ms_);
}

double PeakEwma::decayed(std::uint64_t packed, TimePoint now) const {
  if (packed == 0) {
    return default_rtt_ns_;
  }
  return static_cast<double>(unpack_estimate(packed)) * weight(elapsed_ms(packed, now));
}

double PeakEwma::estimate_ns(const Host& host, TimePoint now) const {
  return decayed(host.stats.peak_ewma.load(std::memory_order_relaxed), now);
}

double PeakEwma::cost(const Host& host, TimePoint now) const {
  const auto active = host.stats.active_requests.load(std::memory_order_relaxed);
  return estimate_ns(host, now) * (static_cast<double>(active) + 1.0);
}

void PeakEwma::record(Host& host, Duration rtt, TimePoint now) const {
  const double sample = static_cast<double>(std::max<std::int64_t>(rtt.count(), 0));
  const std::uint32_t stamp = stamp_ms(now);
  auto& cell = host.stats.peak_ewma;
  std::uint64_t old = cell.load(std::memory_order_relaxed);
  std::uint64_t next = 0;
  do {
    double estimate = sample;
    if (old != 0) {
      const double w = weight(elapsed_ms(old, now));
      const double current = static_cast<double>(unpack_estimate(old)) * w;
      // The peak: a slower observation replaces the estimate at once;
      // otherwise move toward it, the more the longer since the last one.
      estimate = sample > current ? sample : current * w + sample * (1.0 - w);
    }
    next = pack(static_cast<float>(estimate), stamp);
  } while (!cell.compare_exchange_weak(old, next, std::memory_order_relaxed));
}

}  // namespace ferry::filters
