#include "proxy/http/access_log.h"

#include <ctime>
#include <map>
#include <mutex>

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

namespace ferry::proxy {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string format_access_log(const AccessLogEntry& e) {
  std::string out;
  out.reserve(384);
  const auto secs = std::chrono::system_clock::to_time_t(e.start);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(e.start.time_since_epoch()).count() %
      1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  const double duration_ms = std::chrono::duration<double, std::milli>(e.duration).count();
  out += "{\"start_time\":\"";
  out += stamp;
  out += "\",\"method\":";
  append_json_string(out, e.method);
  out += ",\"path\":";
  append_json_string(out, e.path);
  out += ",\"protocol\":";
  append_json_string(out, e.protocol);
  out += ",\"authority\":";
  append_json_string(out, e.authority);
  out += ",\"status\":" + std::to_string(e.status);
  out += ",\"response_flags\":";
  append_json_string(out, e.flags);
  out += ",\"bytes_received\":" + std::to_string(e.bytes_received);
  out += ",\"bytes_sent\":" + std::to_string(e.bytes_sent);
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f", duration_ms);
  out += ",\"duration_ms\":";
  out += duration;
  out += ",\"upstream_host\":";
  append_json_string(out, e.upstream);
  out += ",\"request_id\":";
  append_json_string(out, e.request_id);
  out += ",\"listener\":";
  append_json_string(out, e.listener);
  out += ",\"cluster\":";
  append_json_string(out, e.route_cluster);
  out += '}';
  return out;
}

std::shared_ptr<spdlog::logger> open_access_log(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<spdlog::logger>> open;
  std::lock_guard lock(mutex);
  if (auto existing = open[path].lock()) {
    return existing;
  }
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  auto logger = std::make_shared<spdlog::async_logger>(
      "access:" + path, std::move(sink), spdlog::thread_pool(),
      spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::info);
  // Registered so spdlog::flush_every reaches it.
  spdlog::drop(logger->name());
  spdlog::register_logger(logger);
  open[path] = logger;
  return logger;
}

}  // namespace ferry::proxy
