#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/config/proxy_config.h"

// How a serving sidecar publishes its Service Connect settings with its
// registration, as Cloud Map instance attributes (README.md, "Attribute
// encoding"). Every sidecar of the namespace reads them from the snapshot to
// open its egress listeners.
namespace ferry::discovery {

// An instance's attributes, ordered by key, with string_view lookups.
using AttributeMap = std::map<std::string, std::string, std::less<>>;

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
