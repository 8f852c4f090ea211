#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace ferry::proxy {

// One access-log line: a JSON object per request (per connection for tcp
// listeners). Fields: start_time (RFC 3339, UTC, ms), method, path,
// protocol, authority, status, response_flags, bytes_received, bytes_sent,
// duration_ms, upstream_host, request_id, listener, cluster.
struct AccessLogEntry {
  std::chrono::system_clock::time_point start;
  std::chrono::steady_clock::duration duration{};
  std::string_view method;
  std::string_view path;
  std::string_view protocol;
  std::string_view authority;
  std::uint16_t status = 0;
  std::string_view flags;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::string upstream;
  std::string_view request_id;
  std::string_view listener;
  std::string route_cluster;
};

std::string format_access_log(const AccessLogEntry& entry);

// A logger that appends lines to `path` from a background thread through a
// bounded queue that drops the oldest lines when full: a slow disk never
// blocks a worker. Called on main while a snapshot is built; loggers are
// shared by path.
std::shared_ptr<spdlog::logger> open_access_log(const std::string& path);

// Appends `text` to `out` as a JSON string (quotes included).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ferry::proxy
