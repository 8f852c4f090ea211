#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <spdlog/spdlog.h>

namespace ferry::core {

// Log levels as the CLI and `POST /logging?level=` spell them.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Installs the process logger: levelled lines to stderr through a bounded
// queue drained by one background thread. When the queue is full the oldest
// lines are dropped, so a stalled stderr pipe never blocks a worker. Called
// once on the main thread before any other thread starts; `name` prefixes
// every line.
void init_logging(std::string_view name, spdlog::level::level_enum level);

// Flushes and stops the background thread; called on the main thread at exit.
void shutdown_logging();

// Changes the level at runtime (any thread; spdlog's level is atomic).
void set_log_level(spdlog::level::level_enum level);

// Lines emitted from the data path go through a limiter: at most `burst`
// lines per `period` for one call site on one thread; the rest are counted
// and reported in the next line that passes. Not thread-safe by design: each
// call site keeps one limiter per thread (see FERRY_LOG_LIMITED).
class LogRateLimiter {
 public:
  explicit LogRateLimiter(std::uint32_t burst = 10,
                          std::chrono::steady_clock::duration period = std::chrono::seconds(1))
      : burst_(burst), period_(period) {}

  // True when a line may be written now; `suppressed` receives how many lines
  // were dropped since the last one that passed.
  bool allow(std::uint64_t& suppressed);

 private:
  std::uint32_t burst_;
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point window_start_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace ferry::core

// Rate-limited logging for the data path: one limiter per call site and thread.
#define FERRY_LOG_LIMITED(level, ...)                                                 \
  do {                                                                                \
    if (spdlog::should_log(level)) {                                                  \
      thread_local ::ferry::core::LogRateLimiter ferry_log_limiter_;                  \
      std::uint64_t ferry_log_suppressed_ = 0;                                        \
      if (ferry_log_limiter_.allow(ferry_log_suppressed_)) {                          \
        if (ferry_log_suppressed_ > 0) {                                              \
          spdlog::log(level, "({} similar lines suppressed)", ferry_log_suppressed_); \
        }                                                                             \
        spdlog::log(level, __VA_ARGS__);                                              \
      }                                                                               \
    }                                                                                 \
  } while (false)
