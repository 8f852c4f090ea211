#include "proxy/core/config/config_values.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace ferry::core {
namespace {

struct SizeUnit {
  std::string_view suffix;
  std::uint64_t bytes;
};

constexpr std::array<SizeUnit, 3> kSizeUnits = {{
    {"GiB", std::uint64_t{1} << 30},
    {"MiB", std::uint64_t{1} << 20},
    {"KiB", std::uint64_t{1} << 10},
}};

bool all_digits(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (!all_digits(text)) {
    return std::nullopt;
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative) {
    if (magnitude > kMax) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > kMax + 1) {
    return std::nullopt;
  }
  return magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                               : -static_cast<std::int64_t>(magnitude);
}

std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::string_view body = text;
  if (body.front() == '+' || body.front() == '-') {
    body.remove_prefix(1);
  }
  // from_chars also takes "inf", "nan" and hex digits in some modes; only a
  // decimal body is a config number.
  for (char c : body) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  if (body.empty() || !(body.front() >= '0' && body.front() <= '9')) {
    return std::nullopt;
  }
  const char* first = text.data() + (text.front() == '+' ? 1 : 0);
  double value = 0;
  auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t unit = 1;
  for (const SizeUnit& candidate : kSizeUnits) {
    if (text.size() > candidate.suffix.size() && text.ends_with(candidate.suffix)) {
      unit = candidate.bytes;
      text.remove_suffix(candidate.suffix.size());
      break;
    }
  }
  if (!all_digits(text)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  if (value > std::numeric_limits<std::uint64_t>::max() / unit) {
    return std::nullopt;
  }
  return value * unit;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0) {
    for (const SizeUnit& unit : kSizeUnits) {
      if (bytes % unit.bytes == 0) {
        return std::to_string(bytes / unit.bytes) + std::string(unit.suffix);
      }
    }
  }
  return std::to_string(bytes);
}

bool is_dns_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 253 || is_ip_literal(text)) {
    return false;
  }
  // The last label is never all digits (RFC 3696 §2), so "999.1.1.1" is a
  // bad address rather than a name.
  const auto last_dot = text.rfind('.');
  if (all_digits(last_dot == std::string_view::npos ? text : text.substr(last_dot + 1))) {
    return false;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      dot = text.size();
    }
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_label_char(c)) {
        return false;
      }
    }
    start = dot + 1;
  }
  return true;
}

bool is_ip_literal(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return false;
  }
  const std::string copy(text);
  in6_addr buffer{};
  return inet_pton(AF_INET, copy.c_str(), &buffer) == 1 ||
         inet_pton(AF_INET6, copy.c_str(), &buffer) == 1;
}

}  // namespace ferry::core
