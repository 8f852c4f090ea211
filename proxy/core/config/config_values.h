#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

// Scalar syntaxes of the config file, shared by the reader and its tests.
// All are strict: no surrounding spaces, no YAML 1.1 spellings.

// Decimal integer with an optional sign ("42", "-1", "+7"); no hex, octal,
// underscores or fractions. nullopt on overflow of int64.
std::optional<std::int64_t> parse_integer(std::string_view text);

// Decimal number ("3", "1.9", "2.5e3"); nullopt for NaN, infinity, hex floats.
std::optional<double> parse_number(std::string_view text);

// `true` / `false` (also `True`, `TRUE`, `False`, `FALSE`: YAML 1.2's core
// schema). `yes`, `on`, `y` are not booleans here.
std::optional<bool> parse_bool(std::string_view text);

// A byte count: a plain integer ("65536") or an integer with a binary unit
// ("64KiB", "1MiB", "2GiB"). nullopt for other units, fractions, signs or
// overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The largest binary unit that represents `bytes` exactly ("60KiB", "1MiB",
// "100"); parse_size(format_size(n)) == n.
std::string format_size(std::uint64_t bytes);

// A host name by RFC 1123: dot-separated labels of letters, digits and
// hyphens, each 1-63 characters and not starting or ending with a hyphen,
// 253 characters in all; one trailing dot allowed. The last label is not all
// digits, so a mistyped IPv4 address is not taken for a name.
bool is_dns_name(std::string_view text);

// A numeric IPv4 or IPv6 address without port or brackets.
bool is_ip_literal(std::string_view text);

}  // namespace ferry::core
