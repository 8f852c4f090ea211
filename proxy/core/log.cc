#include "proxy/core/log.h"

#include <memory>
#include <string>

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace ferry::core {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "trace")
    return spdlog::level::trace;
  if (name == "debug")
    return spdlog::level::debug;
  if (name == "info")
    return spdlog::level::info;
  if (name == "warn")
    return spdlog::level::warn;
  if (name == "error")
    return spdlog::level::err;
  return std::nullopt;
}

void init_logging(std::string_view name, spdlog::level::level_enum level) {
  // Each queued line is a ~350-byte slot allocated up front: 1024 keeps the
  // idle footprint small while absorbing bursts (overflow drops the oldest).
  constexpr std::size_t kQueueLines = 1024;
  spdlog::init_thread_pool(kQueueLines, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>(
      std::string(name), std::move(sink), spdlog::thread_pool(),
      spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

void shutdown_logging() {
  spdlog::default_logger()->flush();
  spdlog::shutdown();
}

void set_log_level(spdlog::level::level_enum level) {
  spdlog::set_level(level);
}

bool LogRateLimiter::allow(std::uint64_t& suppressed) {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= period_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++suppressed_;
    return false;
  }
  ++in_window_;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace ferry::core
