#include "proxy/core/config/not_implemented.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "proxy/core/config/config_json.h"
#include "proxy/core/config/source_map.h"

namespace ferry::core {
namespace {

// What the first runtime does not do. One line each; delete a line when the
// feature lands.
constexpr std::string_view kNotImplemented[] = {
    // Upstream protocols.
    "clusters[].protocol=http2",
};

struct Match {
  std::string path;
  std::string message;
};

std::string scalar_text(const boost::json::value& value) {
  if (const auto* text = value.if_string()) {
    return std::string(text->data(), text->size());
  }
  if (value.is_null()) {
    return {};
  }
  return boost::json::serialize(value);
}

// Finds every concrete path whose normalized form is `pattern` and whose
// value reads `expected`. Only descends where `pattern` can still match, so
// a large config costs a walk of the matching branches only.
void find_values(const boost::json::value& node, const std::string& path,
                 const std::string& normalized, std::string_view pattern, std::string_view expected,
                 std::vector<std::string>& out) {
  const auto descend = [&](const boost::json::value& child, const std::string& child_path,
                           const std::string& child_normalized) {
    if (pattern.starts_with(child_normalized) &&
        (pattern.size() == child_normalized.size() || pattern[child_normalized.size()] == '.' ||
         pattern[child_normalized.size()] == '[')) {
      find_values(child, child_path, child_normalized, pattern, expected, out);
    }
  };
  if (const auto* object = node.if_object()) {
    for (const auto& entry : *object) {
      const std::string_view key = entry.key();
      descend(entry.value(), path.empty() ? std::string(key) : path + "." + std::string(key),
              normalized.empty() ? std::string(key) : normalized + "." + std::string(key));
    }
    return;
  }
  if (const auto* array = node.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      descend((*array)[i], path + "[" + std::to_string(i) + "]", normalized + "[]");
    }
    return;
  }
  if (normalized == pattern && scalar_text(node) == expected) {
    out.push_back(path);
  }
}

bool inside(std::string_view path, std::string_view ancestor) {
  return path.size() > ancestor.size() && path.starts_with(ancestor) &&
         (path[ancestor.size()] == '.' || path[ancestor.size()] == '[');
}

}  // namespace

std::span<const std::string_view> not_implemented_entries() {
  return kNotImplemented;
}

void check_not_implemented(const ProxyConfig& config, ReadContext& ctx,
                           std::span<const std::string_view> entries) {
  if (entries.empty()) {
    return;
  }
  const SourceMap& lines = ctx.lines();
  std::unordered_map<std::string, std::vector<std::string>> written;  // normalized → concrete
  for (std::string& path : lines.paths()) {
    written[normalize_path(path)].push_back(std::move(path));
  }
  const boost::json::value effective = to_json_value(config);
  std::vector<Match> matches;
  for (std::string_view entry : entries) {
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos) {
      if (auto it = written.find(std::string(entry)); it != written.end()) {
        for (const std::string& path : it->second) {
          matches.push_back({path, "not implemented yet"});
        }
      }
      continue;
    }
    const std::string_view value = entry.substr(equals + 1);
    std::vector<std::string> found;
    find_values(effective, {}, {}, entry.substr(0, equals), value, found);
    for (std::string& path : found) {
      std::string message = "\"" + std::string(value) + "\" is not implemented yet";
      if (!lines.contains(path)) {
        message += " (it is the default when the key is absent)";
      }
      matches.push_back({std::move(path), std::move(message)});
    }
  }
  // Shortest paths first, so a refused section hides what is inside it.
  std::sort(matches.begin(), matches.end(),
            [](const Match& a, const Match& b) { return a.path < b.path; });
  std::vector<std::string> reported;
  for (Match& match : matches) {
    const bool hidden = std::any_of(reported.begin(), reported.end(), [&](const std::string& r) {
      return r == match.path || inside(match.path, r);
    });
    if (hidden) {
      continue;
    }
    ctx.error(lines.line_of(match.path), match.path, std::move(match.message));
    reported.push_back(std::move(match.path));
  }
}

}  // namespace ferry::core
