#include "discovery/backoff.h"

#include <algorithm>

namespace ferry::discovery {

Backoff::Backoff(core::Backoff config, std::uint64_t seed) : config_(config), prng_(seed) {
  config_.base_interval = std::max(config_.base_interval, core::Duration(1));
  config_.max_interval = std::max(config_.max_interval, config_.base_interval);
}

core::Duration Backoff::ceiling() const {
  core::Duration d = config_.base_interval;
  // Doubling stops at the cap, so large failure counts never overflow.
  for (std::uint32_t i = 0; i < failures_ && d < config_.max_interval; ++i) {
    d = d > config_.max_interval / 2 ? config_.max_interval : d * 2;
  }
  return std::min(d, config_.max_interval);
}

core::Duration Backoff::next() {
  const core::Duration d = ceiling();
  if (failures_ < UINT32_MAX) {
    ++failures_;
  }
  const auto half = static_cast<std::uint64_t>(d.count() / 2);
  const auto span = static_cast<std::uint64_t>(d.count()) - half;
  return core::Duration(static_cast<core::Duration::rep>(half + prng_.uniform(span + 1)));
}

}  // namespace ferry::discovery
