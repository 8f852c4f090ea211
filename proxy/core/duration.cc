#include "proxy/core/duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace ferry::core {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t nanos;
};

// Smallest first; format_duration walks them from the largest.
constexpr std::array<Unit, 6> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits > 18) {
    return std::nullopt;
  }
  std::string_view suffix = text.substr(digits);
  for (const Unit& unit : kUnits) {
    if (suffix != unit.suffix) {
      continue;
    }
    std::int64_t value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      value = value * 10 + (text[i] - '0');
    }
    if (value > std::numeric_limits<std::int64_t>::max() / unit.nanos) {
      return std::nullopt;
    }
    return Duration(value * unit.nanos);
  }
  return std::nullopt;
}

std::string format_duration(Duration d) {
  const std::int64_t n = d.count();
  if (n == 0) {
    return "0s";
  }
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (n % it->nanos == 0) {
      return std::to_string(n / it->nanos) + std::string(it->suffix);
    }
  }
  return std::to_string(n) + "ns";  // unreachable: every count is a multiple of 1 ns
}

}  // namespace ferry::core
