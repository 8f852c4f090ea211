#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ferry::core {

// Where each key path of a config file was written: "listeners[0].cluster" →
// line 14. Filled by MapReader while it reads, then used by the semantic
// checks (which run on typed structs that carry no lines) and by the
// not-implemented check. Only keys with a non-null value are recorded, so
// `contains()` means "the user wrote this".
class SourceMap {
 public:
  void record(std::string path, int line) { lines_.insert_or_assign(std::move(path), line); }

  bool contains(std::string_view path) const { return lines_.count(std::string(path)) != 0; }

  // The line `path` was written on; for a key that was not written (a
  // default), the line of its closest written ancestor, so an error about a
  // default value points at the object it belongs to. 1 when nothing matches.
  int line_of(std::string_view path) const;

  // Every recorded path, in no particular order.
  std::vector<std::string> paths() const;

 private:
  std::unordered_map<std::string, int> lines_;
};

// "listeners[3].routes[0].fault" → "listeners[].routes[].fault": the form the
// not-implemented table and the secret list use.
std::string normalize_path(std::string_view path);

// The parent of a key path: "a.b[2].c" → "a.b[2]" → "a.b" → "a" → "".
std::string_view parent_path(std::string_view path);

}  // namespace ferry::core
