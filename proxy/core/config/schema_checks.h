#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy/core/config/config_reader.h"
#include "proxy/core/config/proxy_config.h"

// Value rules of the proxy schema that are more than a type: names,
// paths, authorities. Shared by the section readers (proxy_config_reader.h).

namespace ferry::core {

// Listener and cluster names: 1-128 of [A-Za-z0-9_.-]. They become metric
// label values and log fields, so nothing else is allowed.
bool is_identifier(std::string_view text);

// ECS portName / discoveryName: 1-64 of lowercase letters, digits, '_' and
// '-', not starting with '-'.
bool is_ecs_name(std::string_view text);

// Cloud Map HTTP namespace name: 1-1024 visible ASCII characters.
bool is_cloud_map_namespace(std::string_view text);

// Cloud Map service name: dot-separated labels of [A-Za-z0-9_-], each 1-63
// characters and not starting or ending with '-', 127 characters in all.
bool is_cloud_map_service(std::string_view text);

// A URL path for matching or probing: starts with '/', visible ASCII, no
// '?' or '#'.
bool is_url_path(std::string_view text);

// A route authority as matched: lower-cased host, port and trailing dot
// removed, IPv6 kept in brackets. nullopt when the host is neither a DNS name nor an IP.
std::optional<std::string> normalize_authority(std::string_view text);

// Reads a required name key (is_identifier); false when missing or invalid.
bool read_identifier(MapReader& reader, std::string_view key, std::string& out);

// Reads a key that names another object (a cluster): required or optional.
bool read_reference(MapReader& reader, std::string_view key, std::string& out);
bool read_reference(MapReader& reader, std::string_view key, std::optional<std::string>& out);

// Reads a Backoff map and checks max_interval >= base_interval.
void read_backoff(MapReader& reader, Backoff& out);

}  // namespace ferry::core
