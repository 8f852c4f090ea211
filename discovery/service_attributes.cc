#include "discovery/service_attributes.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>
#include <utility>

#include "proxy/core/config/config_values.h"

namespace ferry::discovery {

AttributeMap::AttributeMap(std::initializer_list<value_type> items) {
  items_.reserve(items.size());
  for (const value_type& item : items) {
    emplace(item.first, item.second);
  }
}

bool AttributeMap::emplace(std::string key, std::string value) {
  const auto at =
      std::lower_bound(items_.begin(), items_.end(), key,
                       [](const value_type& item, const std::string& k) { return item.first < k; });
  if (at != items_.end() && at->first == key) {
    return false;
  }
  items_.emplace(at, std::move(key), std::move(value));
  return true;
}

AttributeMap::const_iterator AttributeMap::find(std::string_view key) const {
  const auto at = std::lower_bound(
      items_.begin(), items_.end(), key,
      [](const value_type& item, std::string_view k) { return std::string_view(item.first) < k; });
  return at != items_.end() && at->first == key ? at : items_.end();
}

const std::string& AttributeMap::at(std::string_view key) const {
  const auto it = find(key);
  if (it == end()) {
    throw std::out_of_range("no attribute " + std::string(key));
  }
  return it->second;
}
namespace {

std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint64_t max) {
  std::uint64_t value = 0;
  if (text.empty() || text.size() > 10) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

const std::string* find(const AttributeMap& attributes, std::string_view key) {
  auto it = attributes.find(key);
  return it == attributes.end() ? nullptr : &it->second;
}

}  // namespace

std::optional<std::vector<PublishedAlias>> parse_aliases(std::string_view value) {
  std::vector<PublishedAlias> out;
  std::set<std::pair<std::string_view, std::uint16_t>> seen;
  if (value.empty()) {
    return out;
  }
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = value.substr(0, comma);
    const std::size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view name = item.substr(0, colon);
    const auto port = parse_decimal(item.substr(colon + 1), 65535);
    if (!core::is_dns_name(name) || !port || *port == 0 ||
        !seen.emplace(name, static_cast<std::uint16_t>(*port)).second) {
      return std::nullopt;
    }
    out.push_back({std::string(name), static_cast<std::uint16_t>(*port)});
    if (comma == std::string_view::npos) {
      return out;
    }
    value.remove_prefix(comma + 1);
  }
}

std::string format_aliases(const std::vector<core::ClientAlias>& aliases) {
  std::string out;
  for (const core::ClientAlias& alias : aliases) {
    if (!out.empty()) {
      out.push_back(',');
    }
    out.append(alias.dns_name).push_back(':');
    out.append(std::to_string(alias.port));
  }
  return out;
}

std::string_view app_protocol_name(core::AppProtocol protocol) {
  switch (protocol) {
    case core::AppProtocol::Http:
      return "http";
    case core::AppProtocol::Http2:
      return "http2";
    case core::AppProtocol::Grpc:
      return "grpc";
    case core::AppProtocol::Tcp:
      return "tcp";
  }
  return "tcp";
}

std::optional<core::AppProtocol> parse_app_protocol(std::string_view text) {
  for (auto p : {core::AppProtocol::Http, core::AppProtocol::Http2, core::AppProtocol::Grpc,
                 core::AppProtocol::Tcp}) {
    if (text == app_protocol_name(p)) {
      return p;
    }
  }
  return std::nullopt;
}

std::optional<PublishedService> parse_published_service(const AttributeMap& attributes,
                                                        std::string& error) {
  PublishedService out;
  if (const std::string* v = find(attributes, kAliasesAttribute)) {
    auto aliases = parse_aliases(*v);
    if (!aliases) {
      error = std::string(kAliasesAttribute) +
              " must be a list of dnsName:port (port 1-65535, no duplicates)";
      return std::nullopt;
    }
    out.aliases = std::move(*aliases);
  }
  if (const std::string* v = find(attributes, kProtocolAttribute)) {
    out.protocol = parse_app_protocol(*v);
    if (!out.protocol) {
      error = std::string(kProtocolAttribute) + " must be http, http2, grpc or tcp";
      return std::nullopt;
    }
  }
  constexpr std::uint64_t kMaxSeconds = 2147483647;  // ECS's limit
  for (auto [key, field] : {std::pair{kIdleTimeoutAttribute, &out.idle_timeout_seconds},
                            std::pair{kRequestTimeoutAttribute, &out.request_timeout_seconds}}) {
    if (const std::string* v = find(attributes, key)) {
      *field = parse_decimal(*v, kMaxSeconds);
      if (!*field) {
        error = std::string(key) + " must be a number of seconds (0-2147483647)";
        return std::nullopt;
      }
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> published_attributes(
    const core::ServiceConnectService& service, std::string& error) {
  std::map<std::string, std::string> out;
  if (!service.client_aliases.empty()) {
    std::string aliases = format_aliases(service.client_aliases);
    if (aliases.size() > kMaxAttributeValue) {
      error = "the clientAliases of " + service.discovery_name + " take " +
              std::to_string(aliases.size()) + " bytes as the " + std::string(kAliasesAttribute) +
              " attribute; Cloud Map allows " + std::to_string(kMaxAttributeValue);
      return std::nullopt;
    }
    out.emplace(kAliasesAttribute, std::move(aliases));
  }
  out.emplace(kProtocolAttribute, app_protocol_name(service.app_protocol));
  out.emplace(kIdleTimeoutAttribute, std::to_string(service.idle_timeout_seconds));
  if (service.per_request_timeout_seconds) {
    out.emplace(kRequestTimeoutAttribute, std::to_string(*service.per_request_timeout_seconds));
  }
  return out;
}

}  // namespace ferry::discovery
