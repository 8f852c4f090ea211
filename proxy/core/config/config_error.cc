#include "proxy/core/config/config_error.h"

#include <algorithm>
#include <utility>

namespace ferry::core {

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  return out;
}

void ConfigErrors::add(int line, std::string path, std::string message) {
  if (errors_.size() >= max_errors_) {
    ++dropped_;
    return;
  }
  errors_.push_back(ConfigError{file_, line, std::move(path), std::move(message)});
}

std::vector<ConfigError> ConfigErrors::take_sorted() {
  std::vector<ConfigError> out = std::move(errors_);
  errors_.clear();
  std::stable_sort(out.begin(), out.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  if (dropped_ > 0) {
    out.push_back(ConfigError{file_,
                              0,
                              {},
                              std::to_string(dropped_) + " more errors not shown (only the first " +
                                  std::to_string(max_errors_) + " are kept)"});
    dropped_ = 0;
  }
  return out;
}

}  // namespace ferry::core
