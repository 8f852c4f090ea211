#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proxy/core/duration.h"

namespace ferry::perf {

// ferry-load's command line (DESIGN.md, "ferry-load"), with every default.
struct LoadOptions {
  std::string url;
  core::Duration duration = std::chrono::seconds(10);
  core::Duration warmup = std::chrono::seconds(1);
  core::Duration timeout = std::chrono::seconds(5);  // 0s: no timeout
  std::uint32_t connections = 64;
  std::uint32_t threads = 0;   // 0: the CPUs this process may run on, at most `connections`
  std::optional<double> rate;  // set: open loop at this many requests/s in total
  bool http2 = false;
  std::uint32_t streams = 1;  // HTTP/2 requests in flight per connection
  std::string json_path;
  std::vector<std::string> headers;  // "Name: value", added to every request
  // Processes whose CPU time over the window goes into the report (the
  // proxy under test): sampled from /proc at the window's edges.
  std::vector<int> cpu_pids;
  enum class Progress { Auto, Always, Never };
  Progress progress = Progress::Auto;
};

// Parses argv. Returns the options, or the exit code to leave with (0 after
// --help/--version, 2 for a usage error, which has been printed).
std::variant<LoadOptions, int> parse_load_options(int argc, char** argv);

// The parts of --url a run needs.
struct TargetUrl {
  std::string host;  // as written, brackets removed for IPv6
  std::uint16_t port = 80;
  std::string authority;  // Host header / :authority, as written in the URL
  std::string path;       // origin-form, "/" when the URL has none
};

// Accepts http://host[:port][/path][?query]; an error message otherwise
// (https and other schemes included: ferry-load speaks cleartext only).
std::variant<TargetUrl, std::string> parse_target_url(const std::string& url);

}  // namespace ferry::perf
