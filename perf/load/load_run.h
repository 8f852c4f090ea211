#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "perf/load/load_options.h"
#include "perf/load/run_plan.h"
#include "perf/load/run_results.h"

namespace ferry::perf {

// Builds the run from the command line: resolves the host (first address
// getaddrinfo returns), builds the request template and the session factory,
// chooses the thread count. Start-up code: throws std::runtime_error with a
// message for the user when the run cannot happen.
struct PreparedRun {
  RunPlan plan;  // times are filled in by run_load
  RunDescription description;
  std::uint32_t threads = 1;
  bool progress = false;
  core::Duration warmup{};
  core::Duration duration{};
  std::vector<pid_t> cpu_pids;
};
PreparedRun prepare_run(const LoadOptions& options);

// Runs the load on `threads` worker threads (the calling thread only waits,
// samples CPU time at the window's edges, and prints the progress line) and
// returns the merged results. Throws std::runtime_error if a worker could not
// run at all.
RunResults run_load(PreparedRun& run);

}  // namespace ferry::perf
