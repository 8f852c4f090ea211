#pragma once

#include <chrono>

#include "proxy/core/duration.h"

namespace ferry::filters {

// Policies never read a clock: the runtime passes `now` in, so tests drive
// them with simulated time. Monotonic only; wall-clock time never reaches a
// policy decision.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using core::Duration;

}  // namespace ferry::filters
