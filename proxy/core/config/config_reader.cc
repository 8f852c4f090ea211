#include "proxy/core/config/config_reader.h"

#include <algorithm>
#include <utility>

namespace ferry::core {
namespace {

// Levenshtein distance, for "did you mean" on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

MapReader::MapReader(ReadContext& ctx, const YamlNode* node, std::string path)
    : ctx_(ctx),
      node_(node),
      path_(std::move(path)),
      // A map under a key is reported at the key's line (the value's own
      // mark is its first key, one line further down).
      line_(node == nullptr        ? ctx.lines().line_of(path_)
            : node->key_line() > 0 ? node->key_line()
                                   : node->line()) {
  if (const YamlNode* map = map_node()) {
    used_.assign(map->children().size(), false);
  }
}

MapReader::~MapReader() {
  report_unknown_keys();
}

std::string MapReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void MapReader::error(std::string_view key, std::string message) {
  std::string path = child_path(key);
  const int line = ctx_.lines().line_of(path);
  ctx_.error(line, std::move(path), std::move(message));
}

bool MapReader::has(std::string_view key) const {
  const YamlNode* map = map_node();
  const YamlNode* child = map != nullptr ? map->find(key) : nullptr;
  return child != nullptr && !child->is_null();
}

std::optional<ValueRef> MapReader::take(std::string_view key, Presence presence) {
  if (std::find(asked_.begin(), asked_.end(), key) == asked_.end()) {
    asked_.emplace_back(key);
  }
  const YamlNode* map = map_node();
  const YamlNode* child = map != nullptr ? map->find(key) : nullptr;
  if (child != nullptr) {
    used_[static_cast<std::size_t>(child - map->children().data())] = true;
  }
  if (child == nullptr || child->is_null()) {
    if (presence == Presence::Required) {
      ctx_.error(child != nullptr ? child->key_line() : line_, child_path(key),
                 child != nullptr ? "is required (got null)" : "is required");
    }
    return std::nullopt;
  }
  std::string path = child_path(key);
  ctx_.lines().record(path, child->key_line());
  return ValueRef{*child, std::move(path), child->key_line()};
}

bool MapReader::string(std::string_view key, std::string& out, Presence presence) {
  const auto value = take(key, presence);
  auto parsed = value ? read_string(ctx_, *value) : std::nullopt;
  if (!parsed) {
    return false;
  }
  if (presence == Presence::Required && parsed->empty()) {
    ctx_.error(value->line, value->path, "must not be empty");
    return false;
  }
  out = std::move(*parsed);
  return true;
}

bool MapReader::string(std::string_view key, std::optional<std::string>& out) {
  const auto value = take(key);
  auto parsed = value ? read_string(ctx_, *value) : std::nullopt;
  if (!parsed) {
    return false;
  }
  if (parsed->empty()) {
    ctx_.error(value->line, value->path, "must not be empty (leave the key out instead)");
    return false;
  }
  out = std::move(*parsed);
  return true;
}

bool MapReader::boolean(std::string_view key, bool& out) {
  const auto value = take(key);
  const auto parsed = value ? read_bool(ctx_, *value) : std::nullopt;
  if (parsed) {
    out = *parsed;
  }
  return parsed.has_value();
}

bool MapReader::number(std::string_view key, double& out, double min, double max,
                       Presence presence) {
  const auto value = take(key, presence);
  const auto parsed = value ? read_number(ctx_, *value, min, max) : std::nullopt;
  if (parsed) {
    out = *parsed;
  }
  return parsed.has_value();
}

bool MapReader::duration(std::string_view key, Duration& out, ZeroDuration zero,
                         Presence presence) {
  const auto value = take(key, presence);
  const auto parsed = value ? read_duration(ctx_, *value, zero) : std::nullopt;
  if (parsed) {
    out = *parsed;
  }
  return parsed.has_value();
}

bool MapReader::size(std::string_view key, std::uint64_t& out) {
  const auto value = take(key);
  const auto parsed = value ? read_size(ctx_, *value) : std::nullopt;
  if (parsed) {
    out = *parsed;
  }
  return parsed.has_value();
}

bool MapReader::socket_address(std::string_view key, SocketAddress& out, Presence presence) {
  const auto value = take(key, presence);
  auto parsed = value ? read_socket_address(ctx_, *value) : std::nullopt;
  if (parsed) {
    out = *parsed;
  }
  return parsed.has_value();
}

std::optional<ValueRef> MapReader::take_list(std::string_view key, Presence presence) {
  auto value = take(key, presence);
  if (value && !value->node.is_sequence()) {
    ctx_.error(value->line, value->path, "expected a list, got " + describe_value(value->node));
    return std::nullopt;
  }
  return value;
}

bool MapReader::list(std::string_view key,
                     const std::function<void(const ValueRef&, std::size_t)>& read_item,
                     Presence presence) {
  const auto value = take_list(key, presence);
  if (!value) {
    return false;
  }
  const auto items = value->node.children();
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string path = value->path + "[" + std::to_string(i) + "]";
    ctx_.lines().record(path, items[i].line());
    read_item(ValueRef{items[i], std::move(path), items[i].line()}, i);
  }
  return true;
}

bool MapReader::map_list(std::string_view key,
                         const std::function<void(MapReader&, std::size_t)>& read_item,
                         Presence presence) {
  return list(
      key,
      [&](const ValueRef& item, std::size_t index) {
        if (!item.node.is_map()) {
          ctx_.error(item.line, item.path, "expected a map, got " + describe_value(item.node));
          return;
        }
        MapReader reader(ctx_, &item.node, item.path);
        read_item(reader, index);
      },
      presence);
}

bool MapReader::map(std::string_view key, const std::function<void(MapReader&)>& read_fields,
                    Presence presence) {
  const auto value = take(key, presence);
  if (!value) {
    return false;
  }
  if (!value->node.is_map()) {
    ctx_.error(value->line, value->path, "expected a map, got " + describe_value(value->node));
    return false;
  }
  MapReader reader(ctx_, &value->node, value->path);
  read_fields(reader);
  return true;
}

bool MapReader::string_list(std::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> items;
  bool ok = true;
  const bool present = list(key, [&](const ValueRef& item, std::size_t) {
    auto parsed = read_string(ctx_, item);
    if (parsed) {
      items.push_back(std::move(*parsed));
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

bool MapReader::string_map(std::string_view key, std::map<std::string, std::string>& out) {
  const auto value = take(key);
  if (!value) {
    return false;
  }
  if (!value->node.is_map()) {
    ctx_.error(value->line, value->path, "expected a map, got " + describe_value(value->node));
    return false;
  }
  std::map<std::string, std::string> entries;
  bool ok = true;
  for (const YamlNode& child : value->node.children()) {
    std::string path = value->path + "." + child.key();
    ctx_.lines().record(path, child.key_line());
    auto parsed = read_string(ctx_, ValueRef{child, std::move(path), child.key_line()});
    if (parsed) {
      entries.emplace(child.key(), std::move(*parsed));
    } else {
      ok = false;
    }
  }
  if (!ok) {
    return false;
  }
  out = std::move(entries);
  return true;
}

void MapReader::report_unknown_keys() {
  const YamlNode* map = map_node();
  if (map == nullptr) {
    return;
  }
  const auto children = map->children();
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (used_[i]) {
      continue;
    }
    const std::string& key = children[i].key();
    std::string message = "unknown key";
    std::size_t best = 3;  // suggest only near misses: at most 2 edits
    for (const std::string& known : asked_) {
      // The length difference bounds the distance from below; skipping long
      // keys keeps a hostile file with huge keys cheap.
      if (ctx_.errors().full() || key.size() > known.size() + 2 || known.size() > key.size() + 2) {
        continue;
      }
      const std::size_t distance = edit_distance(key, known);
      if (distance < best) {
        best = distance;
        message = "unknown key (did you mean \"" + known + "\"?)";
      }
    }
    ctx_.error(children[i].key_line(), child_path(key), std::move(message));
  }
}

}  // namespace ferry::core
