#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "proxy/core/address.h"
#include "proxy/core/config/config_error.h"
#include "proxy/core/config/enum_name.h"
#include "proxy/core/config/source_map.h"
#include "proxy/core/config/yaml_tree.h"
#include "proxy/core/duration.h"

namespace ferry::core {

// A typed reader over a YamlNode tree that tracks key paths, records where
// every key was written (SourceMap), and collects every error instead of
// stopping at the first. Each config section (the proxy schema here;
// service_connect and later sections elsewhere) is one function taking a
// MapReader. Single-threaded: one ReadContext per load.
//
// Conventions shared by every read method:
// - `out` keeps its value (the default) when the key is absent, null, or
//   invalid; the method returns true only when it stored a valid value.
// - A key whose value is null (`key:` or `key: null`) counts as absent.
// - A wrong type is an error naming the expected type: "expected an
//   integer, got "abc"". A quoted scalar ("5") is a string, never a number.

class ReadContext {
 public:
  ReadContext(ConfigErrors& errors, SourceMap& lines) : errors_(errors), lines_(lines) {}

  void error(int line, std::string path, std::string message) {
    errors_.add(line, std::move(path), std::move(message));
  }
  ConfigErrors& errors() { return errors_; }
  SourceMap& lines() { return lines_; }

 private:
  ConfigErrors& errors_;
  SourceMap& lines_;
};

enum class Presence { Optional, Required };

// Whether `0s` is allowed for a duration key: DESIGN.md says 0s disables a
// timeout or delay; intervals and backoffs have no "disabled" meaning.
enum class ZeroDuration { Disables, Invalid };

struct IntRange {
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// Counts and limits: 0 is invalid (DESIGN.md).
inline constexpr IntRange kCountRange{1, std::numeric_limits<std::uint32_t>::max()};
// A connect target's port.
inline constexpr IntRange kPortRange{1, 65535};
// HTTP status codes a config may name.
inline constexpr IntRange kStatusRange{100, 599};

// Where one value sits: its node, its key path and the line errors about it
// point at (the key's line for a map value, the item's line for a list item).
struct ValueRef {
  const YamlNode& node;
  std::string path;
  int line;
};

// What a value is, for "expected X, got Y" messages: "a list", "null",
// "\"abc\"", "the quoted string \"5\"".
std::string describe_value(const YamlNode& node);

// Conversions of one value; on failure they report the error and return
// nullopt. Usable on their own for list items and free-form maps.
std::optional<std::string> read_string(ReadContext& ctx, const ValueRef& value);
std::optional<bool> read_bool(ReadContext& ctx, const ValueRef& value);
std::optional<std::int64_t> read_integer(ReadContext& ctx, const ValueRef& value, IntRange range);
std::optional<double> read_number(ReadContext& ctx, const ValueRef& value, double min, double max);
std::optional<Duration> read_duration(ReadContext& ctx, const ValueRef& value, ZeroDuration zero);
std::optional<std::uint64_t> read_size(ReadContext& ctx, const ValueRef& value);
// A numeric listen address ("127.0.0.1:15001", "[::1]:0"); port 0 allowed.
std::optional<SocketAddress> read_socket_address(ReadContext& ctx, const ValueRef& value);
// A connect target: IP or DNS name, and a port 1-65535.
std::optional<HostPort> read_host_port(ReadContext& ctx, const ValueRef& value);
// One of `names`; the error lists them.
std::optional<std::size_t> read_choice(ReadContext& ctx, const ValueRef& value,
                                       std::span<const std::string_view> names);

class MapReader {
 public:
  // `node` may be nullptr or a Null node (an absent or empty section): every
  // read then finds nothing. A node of another kind must have been reported
  // by the caller; it is read as empty.
  MapReader(ReadContext& ctx, const YamlNode* node, std::string path);
  // Reports every key that no read method asked for as unknown (with a
  // "did you mean" for near misses), so a section function cannot forget.
  ~MapReader();
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  ReadContext& context() { return ctx_; }
  const std::string& path() const { return path_; }
  int line() const { return line_; }
  // "listeners[0]" + "name" → "listeners[0].name".
  std::string child_path(std::string_view key) const;

  // Whether `key` was written with a non-null value (does not mark it read).
  bool has(std::string_view key) const;
  // The key's value when written and not null: marks the key as known and
  // records its line. With Presence::Required a missing key is an error.
  std::optional<ValueRef> take(std::string_view key, Presence presence = Presence::Optional);
  // Marks a key as known without reading it (a key handled elsewhere).
  void skip(std::string_view key) { (void)take(key); }

  bool string(std::string_view key, std::string& out, Presence presence = Presence::Optional);
  bool string(std::string_view key, std::optional<std::string>& out);
  bool boolean(std::string_view key, bool& out);
  template <std::integral T>
  bool integer(std::string_view key, T& out, IntRange range,
               Presence presence = Presence::Optional);
  // Inclusive range.
  bool number(std::string_view key, double& out, double min, double max,
              Presence presence = Presence::Optional);
  // 0-100, fractions allowed.
  bool percent(std::string_view key, double& out) { return number(key, out, 0.0, 100.0); }
  bool duration(std::string_view key, Duration& out, ZeroDuration zero,
                Presence presence = Presence::Optional);
  // A byte count of at least 1.
  bool size(std::string_view key, std::uint64_t& out);
  bool socket_address(std::string_view key, SocketAddress& out,
                      Presence presence = Presence::Optional);
  template <class E>
  bool enumeration(std::string_view key, E& out,
                   std::span<const EnumName<std::type_identity_t<E>>> names);

  // Lists of scalars. An explicitly empty list is accepted (the section
  // decides whether that makes sense).
  bool string_list(std::string_view key, std::vector<std::string>& out);
  template <std::integral T>
  bool integer_list(std::string_view key, std::vector<T>& out, IntRange range);
  // Duplicates are an error.
  template <class E>
  bool enum_list(std::string_view key, std::vector<E>& out,
                 std::span<const EnumName<std::type_identity_t<E>>> names);
  // Calls `read_item` for each item of a list; returns false when absent or
  // not a list.
  bool list(std::string_view key,
            const std::function<void(const ValueRef&, std::size_t)>& read_item,
            Presence presence = Presence::Optional);
  // A list whose items are maps; `read_item` gets a reader per item.
  bool map_list(std::string_view key, const std::function<void(MapReader&, std::size_t)>& read_item,
                Presence presence = Presence::Optional);
  // A nested map read by `read_fields`; false when absent or not a map.
  bool map(std::string_view key, const std::function<void(MapReader&)>& read_fields,
           Presence presence = Presence::Optional);
  // A map of free-form string keys to string values.
  bool string_map(std::string_view key, std::map<std::string, std::string>& out);
  // An optional policy: when the key holds a map, emplaces `out` (defaults)
  // and calls read_fields(MapReader&, T&) to fill it.
  template <class T, class F>
  bool section(std::string_view key, std::optional<T>& out, F&& read_fields);

  // Reports a problem with `key` (already read) at the line it was written
  // on, or at this map's line when it was not written.
  void error(std::string_view key, std::string message);
  // Reports a problem with this map as a whole, at its own path and line.
  void map_error(std::string message) { ctx_.error(line_, path_, std::move(message)); }

 private:
  const YamlNode* map_node() const { return node_ != nullptr && node_->is_map() ? node_ : nullptr; }
  std::optional<ValueRef> take_list(std::string_view key, Presence presence);
  void report_unknown_keys();

  ReadContext& ctx_;
  const YamlNode* node_;
  std::string path_;
  int line_;
  std::vector<bool> used_;
  std::vector<std::string> asked_;  // every key asked for, for "did you mean"
};

template <std::integral T>
bool MapReader::integer(std::string_view key, T& out, IntRange range, Presence presence) {
  const auto value = take(key, presence);
  if (!value) {
    return false;
  }
  range.min = std::max<std::int64_t>(range.min, std::numeric_limits<T>::min());
  if (static_cast<std::uint64_t>(std::numeric_limits<T>::max()) <
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    range.max =
        std::min<std::int64_t>(range.max, static_cast<std::int64_t>(std::numeric_limits<T>::max()));
  }
  const auto parsed = read_integer(ctx_, *value, range);
  if (!parsed) {
    return false;
  }
  out = static_cast<T>(*parsed);
  return true;
}

template <class E>
bool MapReader::enumeration(std::string_view key, E& out,
                            std::span<const EnumName<std::type_identity_t<E>>> names) {
  const auto value = take(key);
  if (!value) {
    return false;
  }
  std::vector<std::string_view> spelled;
  spelled.reserve(names.size());
  for (const auto& n : names) {
    spelled.push_back(n.name);
  }
  const auto index = read_choice(ctx_, *value, spelled);
  if (!index) {
    return false;
  }
  out = names[*index].value;
  return true;
}

template <class T, class F>
bool MapReader::section(std::string_view key, std::optional<T>& out, F&& read_fields) {
  return map(key, [&](MapReader& fields) { read_fields(fields, out.emplace()); });
}

template <std::integral T>
bool MapReader::integer_list(std::string_view key, std::vector<T>& out, IntRange range) {
  std::vector<T> items;
  bool ok = true;
  const bool present = list(key, [&](const ValueRef& item, std::size_t) {
    const auto parsed = read_integer(ctx_, item, range);
    if (parsed) {
      items.push_back(static_cast<T>(*parsed));
    } else {
      ok = false;
    }
  });
  if (!present || !ok) {
    return false;
  }
  out = std::move(items);
  return true;
}

template <class E>
bool MapReader::enum_list(std::string_view key, std::vector<E>& out,
                          std::span<const EnumName<std::type_identity_t<E>>> names) {
  std::vector<std::string_view> spelled;
  for (const auto& n : names) {
    spelled.push_back(n.name);
  }
  std::vector<E> items;
  bool ok = true;
  const bool present = list(key, [&](const ValueRef& item, std::size_t) {
    const auto index = read_choice(ctx_, item, spelled);
    if (!index) {
      ok = false;
      return;
    }
    for (const E& seen : items) {
      if (seen == names[*index].value) {
        ctx_.error(item.line, item.path, "duplicate value \"" + item.node.scalar() + "\"");
        ok = false;
        return;
      }
    }
    items.push_back(names[*index].value);
  });
  if (!present || !ok) {
    return false;
  }
  out = std::move(items);
  return true;
}

}  // namespace ferry::core
