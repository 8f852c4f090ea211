#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "perf/load/latency_histogram.h"

namespace ferry::perf {

// Why a request did not get a response. Each failed request counts once;
// `Connect` counts failed connection attempts instead (no request was sent).
enum class FailureKind {
  Connect,   // connect() refused or unreachable, or no connection within --timeout
  Reset,     // connection closed or reset, or the stream reset, before the response ended
  Timeout,   // no complete response within --timeout of sending (or, open loop, never sent
             // before the drain deadline)
  Protocol,  // the response could not be parsed
};

// What one run measured (within the measurement window only). Each worker
// thread fills its own; the run merges them after the threads stop.
struct RunResults {
  LatencyHistogram latency;                 // nanoseconds, every complete response
  std::uint64_t requests = 0;               // complete responses, any status
  std::array<std::uint64_t, 5> status{};    // 1xx … 5xx
  std::uint64_t status_other = 0;           // a status outside 100–599
  std::array<std::uint64_t, 4> failures{};  // indexed by FailureKind
  std::uint64_t bytes_received = 0;         // bytes read from sockets in the window
  std::uint64_t connections_opened = 0;     // warm-up included

  void add_response(int status_code, std::uint64_t latency_ns) {
    ++requests;
    latency.record(latency_ns);
    if (status_code >= 100 && status_code < 600) {
      ++status[static_cast<std::size_t>(status_code / 100 - 1)];
    } else {
      ++status_other;
    }
  }
  void add_failure(FailureKind kind) { ++failures[static_cast<std::size_t>(kind)]; }
  std::uint64_t failures_of(FailureKind kind) const {
    return failures[static_cast<std::size_t>(kind)];
  }

  void merge(const RunResults& other);
};

// The run's settings, echoed into the report so a JSON file says what made it.
struct RunDescription {
  std::string url;
  std::string protocol;  // "http/1.1" or "h2c"
  bool open_loop = false;
  double target_rate = 0;  // open loop only
  std::uint32_t connections = 0;
  std::uint32_t threads = 0;
  std::uint32_t streams = 1;
  double duration_seconds = 0;
  double warmup_seconds = 0;
  double timeout_seconds = 0;
  double cpu_user_seconds = 0;    // ferry-load itself, within the window
  double cpu_system_seconds = 0;  // ferry-load itself, within the window
  // --cpu-pid processes over the window; `peer_cpu_valid` false when one of
  // them could not be read at either edge.
  std::vector<int> peer_cpu_pids;
  bool peer_cpu_valid = false;
  double peer_cpu_user_seconds = 0;
  double peer_cpu_system_seconds = 0;
};

// DESIGN.md's JSON shape plus extensions ("cpu_seconds", "latency_seconds"
// min/mean, "errors.protocol", the settings). Never renames a contract field.
std::string results_json(const RunResults& results, const RunDescription& run);

// The human summary printed at the end of a run.
std::string results_text(const RunResults& results, const RunDescription& run);

}  // namespace ferry::perf
