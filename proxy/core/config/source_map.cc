#include "proxy/core/config/source_map.h"

namespace ferry::core {

int SourceMap::line_of(std::string_view path) const {
  std::string key(path);
  while (true) {
    auto it = lines_.find(key);
    if (it != lines_.end()) {
      return it->second;
    }
    if (key.empty()) {
      return 1;
    }
    key.resize(parent_path(key).size());
  }
}

std::vector<std::string> SourceMap::paths() const {
  std::vector<std::string> out;
  out.reserve(lines_.size());
  for (const auto& [path, line] : lines_) {
    out.push_back(path);
  }
  return out;
}

std::string normalize_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool in_index = false;
  for (char c : path) {
    if (c == '[') {
      in_index = true;
      out += '[';
    } else if (c == ']') {
      in_index = false;
      out += ']';
    } else if (!in_index) {
      out += c;
    }
  }
  return out;
}

std::string_view parent_path(std::string_view path) {
  if (path.empty()) {
    return path;
  }
  if (path.back() == ']') {
    const auto open = path.rfind('[');
    return open == std::string_view::npos ? std::string_view{} : path.substr(0, open);
  }
  const auto cut = path.find_last_of(".]");
  if (cut == std::string_view::npos) {
    return {};
  }
  return path[cut] == ']' ? path.substr(0, cut + 1) : path.substr(0, cut);
}

}  // namespace ferry::core
