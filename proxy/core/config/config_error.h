#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ferry::core {

// One problem in a config file, printed as `FILE:LINE: key.path: message`
// (the `--check-config` contract). `line` is 1-based; 0 means the problem is
// about the file as a whole (cannot be read, too large), and `path` is empty
// for problems that belong to no key (YAML syntax).
struct ConfigError {
  std::string file;
  int line = 0;
  std::string path;
  std::string message;

  std::string to_string() const;

  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

// Collects every error of one load, in any order, and hands them back sorted
// by line. Owned by the loader for the duration of one parse; not shared
// between threads. Past `max_errors` further errors are only counted, so a
// hostile file with a million bad items costs no more than a few hundred
// messages.
class ConfigErrors {
 public:
  static constexpr std::size_t kDefaultMaxErrors = 100;

  explicit ConfigErrors(std::string file, std::size_t max_errors = kDefaultMaxErrors)
      : file_(std::move(file)), max_errors_(max_errors) {}

  void add(int line, std::string path, std::string message);

  bool empty() const { return errors_.empty(); }
  // True once further errors are only counted: callers may skip work that
  // only makes a message nicer.
  bool full() const { return errors_.size() >= max_errors_; }
  std::size_t size() const { return errors_.size() + dropped_; }
  const std::string& file() const { return file_; }

  // The errors sorted by line (stable: errors on one line keep the order in
  // which they were found), plus a last line saying how many were dropped.
  std::vector<ConfigError> take_sorted();

 private:
  std::string file_;
  std::size_t max_errors_;
  std::size_t dropped_ = 0;
  std::vector<ConfigError> errors_;
};

}  // namespace ferry::core
