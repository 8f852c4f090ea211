#include "proxy/core/config/schema_checks.h"

#include <algorithm>

#include "proxy/core/address.h"
#include "proxy/core/config/config_values.h"

namespace ferry::core {
namespace {

constexpr std::size_t kMaxIdentifier = 128;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_visible_ascii(char c) {
  return c >= '!' && c <= '~';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool is_identifier(std::string_view text) {
  return !text.empty() && text.size() <= kMaxIdentifier &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_ecs_name(std::string_view text) {
  return !text.empty() && text.size() <= 64 && text.front() != '-' &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

bool is_cloud_map_namespace(std::string_view text) {
  return !text.empty() && text.size() <= 1024 &&
         std::all_of(text.begin(), text.end(), is_visible_ascii);
}

bool is_cloud_map_service(std::string_view text) {
  if (text.empty() || text.size() > 127) {
    return false;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      dot = text.size();
    }
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '-'; })) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

bool is_url_path(std::string_view text) {
  return !text.empty() && text.front() == '/' && std::all_of(text.begin(), text.end(), [](char c) {
    return is_visible_ascii(c) && c != '?' && c != '#';
  });
}

std::optional<std::string> normalize_authority(std::string_view text) {
  std::string host;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !split_host_port(text)) {
      return std::nullopt;
    }
    host = std::string(text.substr(1, close - 1));
    v6 = true;
  } else if (text.find(':') != std::string_view::npos) {
    auto split = split_host_port(text);
    if (!split) {
      return std::nullopt;
    }
    host = std::move(split->host);
  } else {
    host = std::string(text);
  }
  std::transform(host.begin(), host.end(), host.begin(), lower);
  if (!host.empty() && host.back() == '.') {
    host.pop_back();  // "api.local." and "api.local" are one name
  }
  if (v6) {
    if (host.find(':') == std::string::npos || !is_ip_literal(host)) {
      return std::nullopt;
    }
    return "[" + host + "]";
  }
  if (!is_ip_literal(host) && !is_dns_name(host)) {
    return std::nullopt;
  }
  return host;
}

bool read_identifier(MapReader& reader, std::string_view key, std::string& out) {
  if (!reader.string(key, out, Presence::Required)) {
    return false;
  }
  if (!is_identifier(out)) {
    reader.error(key, "invalid name \"" + out +
                          "\" (1-128 letters, digits, '_', '.' or '-'; names appear in metrics)");
    return false;
  }
  return true;
}

bool read_reference(MapReader& reader, std::string_view key, std::string& out) {
  if (!reader.string(key, out, Presence::Required)) {
    return false;
  }
  if (!is_identifier(out)) {
    reader.error(key, "invalid cluster name \"" + out + "\"");
    return false;
  }
  return true;
}

bool read_reference(MapReader& reader, std::string_view key, std::optional<std::string>& out) {
  if (!reader.string(key, out)) {
    return false;
  }
  if (!is_identifier(*out)) {
    reader.error(key, "invalid cluster name \"" + *out + "\"");
    return false;
  }
  return true;
}

void read_backoff(MapReader& reader, Backoff& out) {
  reader.duration("base_interval", out.base_interval, ZeroDuration::Invalid);
  reader.duration("max_interval", out.max_interval, ZeroDuration::Invalid);
  if (out.max_interval < out.base_interval) {
    reader.error("max_interval", "max_interval (" + format_duration(out.max_interval) +
                                     ") must be >= base_interval (" +
                                     format_duration(out.base_interval) + ")");
  }
}

}  // namespace ferry::core
