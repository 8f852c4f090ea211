// The value conversions declared in config_reader.h: one YAML value to one
// typed value, or an error naming the expected type.
#include "proxy/core/config/config_reader.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "proxy/core/config/config_values.h"

namespace ferry::core {
namespace {

bool expect_scalar(ReadContext& ctx, const ValueRef& value, std::string_view expected) {
  if (value.node.is_scalar()) {
    return true;
  }
  ctx.error(value.line, value.path,
            "expected " + std::string(expected) + ", got " + describe_value(value.node));
  return false;
}

// Scalars that must be written bare (numbers, booleans): a quoted "5" is a
// string the user meant as text.
bool expect_plain(ReadContext& ctx, const ValueRef& value, std::string_view expected) {
  if (!expect_scalar(ctx, value, expected)) {
    return false;
  }
  if (!value.node.quoted()) {
    return true;
  }
  ctx.error(value.line, value.path,
            "expected " + std::string(expected) + ", got " + describe_value(value.node));
  return false;
}

std::string range_message(IntRange range, std::int64_t got) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  std::string what;
  if (range.max == kMax || range.max == std::numeric_limits<std::uint32_t>::max()) {
    what = "must be at least " + std::to_string(range.min);
  } else if (range.min == kMin) {
    what = "must be at most " + std::to_string(range.max);
  } else {
    what = "must be between " + std::to_string(range.min) + " and " + std::to_string(range.max);
  }
  return what + " (got " + std::to_string(got) + ")";
}

std::string format_number(double value) {
  std::string text = std::to_string(value);
  while (text.size() > 1 && text.back() == '0') {
    text.pop_back();
  }
  if (!text.empty() && text.back() == '.') {
    text.pop_back();
  }
  return text;
}

// A port beyond 65535 gets its own message: it is the common mistake.
bool report_bad_port(ReadContext& ctx, const ValueRef& value, std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  const auto port = parse_integer(text.substr(colon + 1));
  if (!port || (*port >= 0 && *port <= 65535)) {
    return false;
  }
  ctx.error(value.line, value.path,
            "port " + std::string(text.substr(colon + 1)) + " is out of range (0-65535)");
  return true;
}

}  // namespace

std::string describe_value(const YamlNode& node) {
  if (!node.is_scalar()) {
    return std::string(node.kind_name());
  }
  constexpr std::size_t kShown = 40;
  std::string text =
      node.scalar().size() > kShown ? node.scalar().substr(0, kShown) + "..." : node.scalar();
  return (node.quoted() ? "the quoted string \"" : "\"") + text + "\"";
}

std::optional<std::string> read_string(ReadContext& ctx, const ValueRef& value) {
  if (!expect_scalar(ctx, value, "a string")) {
    return std::nullopt;
  }
  // No config string needs control characters, and a NUL would silently
  // cut a file path short at open().
  const std::string& text = value.node.scalar();
  const bool has_control = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (has_control) {
    ctx.error(value.line, value.path, "must not contain control characters (NUL, tab, newline...)");
    return std::nullopt;
  }
  return text;
}

std::optional<bool> read_bool(ReadContext& ctx, const ValueRef& value) {
  if (!expect_plain(ctx, value, "a boolean (true or false)")) {
    return std::nullopt;
  }
  const auto parsed = parse_bool(value.node.scalar());
  if (!parsed) {
    ctx.error(value.line, value.path,
              "expected a boolean (true or false), got " + describe_value(value.node));
  }
  return parsed;
}

std::optional<std::int64_t> read_integer(ReadContext& ctx, const ValueRef& value, IntRange range) {
  if (!expect_plain(ctx, value, "an integer")) {
    return std::nullopt;
  }
  const auto parsed = parse_integer(value.node.scalar());
  if (!parsed) {
    ctx.error(value.line, value.path, "expected an integer, got " + describe_value(value.node));
    return std::nullopt;
  }
  if (*parsed < range.min || *parsed > range.max) {
    ctx.error(value.line, value.path, range_message(range, *parsed));
    return std::nullopt;
  }
  return parsed;
}

std::optional<double> read_number(ReadContext& ctx, const ValueRef& value, double min, double max) {
  if (!expect_plain(ctx, value, "a number")) {
    return std::nullopt;
  }
  const auto parsed = parse_number(value.node.scalar());
  if (!parsed) {
    ctx.error(value.line, value.path, "expected a number, got " + describe_value(value.node));
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    ctx.error(value.line, value.path,
              "must be between " + format_number(min) + " and " + format_number(max) + " (got " +
                  value.node.scalar() + ")");
    return std::nullopt;
  }
  return parsed;
}

std::optional<Duration> read_duration(ReadContext& ctx, const ValueRef& value, ZeroDuration zero) {
  if (!expect_scalar(ctx, value, "a duration")) {
    return std::nullopt;
  }
  const std::string& text = value.node.scalar();
  const auto parsed = parse_duration(text);
  if (!parsed) {
    const bool negative = !text.empty() && text.front() == '-';
    ctx.error(value.line, value.path,
              "invalid duration \"" + text + "\"" +
                  (negative ? " (durations cannot be negative)"
                            : " (expected a whole number and a unit: ns, us, ms, s, m or h, "
                              "e.g. \"5s\")"));
    return std::nullopt;
  }
  if (zero == ZeroDuration::Invalid && parsed->count() == 0) {
    ctx.error(value.line, value.path, "must be greater than 0s (0s cannot disable this one)");
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::uint64_t> read_size(ReadContext& ctx, const ValueRef& value) {
  if (!expect_scalar(ctx, value, "a size")) {
    return std::nullopt;
  }
  const auto parsed = parse_size(value.node.scalar());
  if (!parsed) {
    ctx.error(value.line, value.path,
              "invalid size \"" + value.node.scalar() +
                  "\" (expected a number of bytes, or a whole number with KiB, MiB or GiB, e.g. "
                  "\"64KiB\")");
    return std::nullopt;
  }
  if (*parsed == 0) {
    ctx.error(value.line, value.path, "must be at least 1 byte (a size limit of 0 is invalid)");
    return std::nullopt;
  }
  return parsed;
}

std::optional<SocketAddress> read_socket_address(ReadContext& ctx, const ValueRef& value) {
  if (!expect_scalar(ctx, value, "an address")) {
    return std::nullopt;
  }
  const std::string& text = value.node.scalar();
  auto parsed = SocketAddress::parse(text);
  if (!parsed && !report_bad_port(ctx, value, text)) {
    ctx.error(value.line, value.path,
              "invalid address \"" + text +
                  "\" (expected a numeric IPv4:port or [IPv6]:port, e.g. \"127.0.0.1:15001\")");
  }
  return parsed;
}

std::optional<HostPort> read_host_port(ReadContext& ctx, const ValueRef& value) {
  if (!expect_scalar(ctx, value, "an address")) {
    return std::nullopt;
  }
  const std::string& text = value.node.scalar();
  auto parsed = split_host_port(text);
  const bool bracketed = !text.empty() && text.front() == '[';
  const bool host_ok =
      parsed &&
      (bracketed ? parsed->host.find(':') != std::string::npos && is_ip_literal(parsed->host)
                 : is_ip_literal(parsed->host) || is_dns_name(parsed->host));
  if (!host_ok) {
    if (!report_bad_port(ctx, value, text)) {
      ctx.error(value.line, value.path,
                "invalid address \"" + text +
                    "\" (expected ip:port, [ipv6]:port or dns-name:port, e.g. \"backend:8080\")");
    }
    return std::nullopt;
  }
  if (parsed->port == 0) {
    ctx.error(value.line, value.path, "port 0 is not a valid destination port");
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::size_t> read_choice(ReadContext& ctx, const ValueRef& value,
                                       std::span<const std::string_view> names) {
  std::string expected = "one of: ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    expected += (i == 0 ? "" : ", ") + std::string(names[i]);
  }
  if (!expect_scalar(ctx, value, expected)) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (value.node.scalar() == names[i]) {
      return i;
    }
  }
  ctx.error(value.line, value.path,
            "invalid value " + describe_value(value.node) + " (expected " + expected + ")");
  return std::nullopt;
}

}  // namespace ferry::core
