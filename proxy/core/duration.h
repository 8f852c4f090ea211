#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

using Duration = std::chrono::nanoseconds;

// Parses a config duration: a non-negative integer followed by a unit
// (`ns`, `us`, `ms`, `s`, `m`, `h`), e.g. "250ms", "5s", "2m". "0s" is valid (it
// means "disabled" wherever DESIGN.md says so). Returns nullopt for a missing
// or unknown unit, a sign, a fraction, or a value that overflows.
std::optional<Duration> parse_duration(std::string_view text);

// Formats a duration with the largest unit that represents it exactly
// ("1500ms", "2m", "0s"); parse_duration(format_duration(d)) == d.
std::string format_duration(Duration d);

}  // namespace ferry::core
