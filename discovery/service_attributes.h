#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/core/config/proxy_config.h"

// How a serving sidecar publishes its Service Connect settings with its
// registration, as Cloud Map instance attributes (README.md, "Attribute
// encoding"). Every sidecar of the namespace reads them from the snapshot to
// open its egress listeners.
namespace ferry::discovery {

// An instance's attributes, ordered by key, with string_view lookups. A
// sorted vector rather than a std::map: an instance has a handful, a sidecar
// may hold thousands of instances, and a map node costs 48 bytes more per
// attribute.
class AttributeMap {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  AttributeMap() = default;
  AttributeMap(std::initializer_list<value_type> items);

  // Adds the attribute unless its key is present (as std::map::emplace);
  // true when added.
  bool emplace(std::string key, std::string value);
  void reserve(std::size_t n) { items_.reserve(n); }

  const_iterator find(std::string_view key) const;
  // The value of `key`; std::out_of_range when absent.
  const std::string& at(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != end(); }

  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  friend bool operator==(const AttributeMap&, const AttributeMap&) = default;

 private:
  std::vector<value_type> items_;  // sorted by key, keys unique
};

// Cloud Map's reserved attributes ferry reads and writes.
inline constexpr std::string_view kIpv4Attribute = "AWS_INSTANCE_IPV4";
inline constexpr std::string_view kIpv6Attribute = "AWS_INSTANCE_IPV6";
inline constexpr std::string_view kPortAttribute = "AWS_INSTANCE_PORT";

// "dnsName:port[,dnsName:port...]", e.g. "backend:80,backend.mesh.local:8080".
inline constexpr std::string_view kAliasesAttribute = "ferry.aliases";
// The service's appProtocol: "http", "http2", "grpc" or "tcp".
inline constexpr std::string_view kProtocolAttribute = "ferry.protocol";
// timeout.idleTimeoutSeconds / timeout.perRequestTimeoutSeconds, decimal
// seconds (0: disabled); the request timeout is absent for tcp.
inline constexpr std::string_view kIdleTimeoutAttribute = "ferry.idle_timeout_seconds";
inline constexpr std::string_view kRequestTimeoutAttribute = "ferry.request_timeout_seconds";

// Cloud Map's limit on one attribute value.
inline constexpr std::size_t kMaxAttributeValue = 1024;

struct PublishedAlias {
  std::string dns_name;
  std::uint16_t port = 0;
  friend bool operator==(const PublishedAlias&, const PublishedAlias&) = default;
};

// The Service Connect settings one instance published; absent attributes
// leave their field empty.
struct PublishedService {
  std::vector<PublishedAlias> aliases;
  std::optional<core::AppProtocol> protocol;
  std::optional<std::uint32_t> idle_timeout_seconds;
  std::optional<std::uint32_t> request_timeout_seconds;
};

// Parses the ferry.* attributes of one instance. nullopt when one of them is
// malformed (`error` then says which and why): an alias that is not a DNS name
// with a port 1-65535, a duplicate alias, an unknown protocol, a timeout that
// is not a decimal number of seconds.
std::optional<PublishedService> parse_published_service(const AttributeMap& attributes,
                                                        std::string& error);

std::optional<std::vector<PublishedAlias>> parse_aliases(std::string_view value);
std::string format_aliases(const std::vector<core::ClientAlias>& aliases);
std::string_view app_protocol_name(core::AppProtocol protocol);
std::optional<core::AppProtocol> parse_app_protocol(std::string_view text);

// The ferry.* attributes a sidecar registers for one of its services. Fails
// (nullopt, `error` set) when the aliases do not fit in one attribute value.
std::optional<std::map<std::string, std::string>> published_attributes(
    const core::ServiceConnectService& service, std::string& error);

}  // namespace ferry::discovery
