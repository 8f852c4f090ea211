// ferry-load: the load generator that measures ferry and its peers
// (DESIGN.md, "ferry-load"). Exit 0 after a run (whatever the target did),
// 1 when the run could not happen, 2 for a usage error.
#include <cstdio>
#include <exception>
#include <fstream>
#include <variant>

#include <fmt/format.h>

#include "perf/load/load_options.h"
#include "perf/load/load_run.h"

int main(int argc, char** argv) {
  using namespace ferry::perf;
  auto parsed = parse_load_options(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const LoadOptions& options = std::get<LoadOptions>(parsed);
  try {
    PreparedRun run = prepare_run(options);
    const RunResults results = run_load(run);
    fmt::print("{}", results_text(results, run.description));
    std::fflush(stdout);
    if (!options.json_path.empty()) {
      std::ofstream out(options.json_path, std::ios::trunc);
      out << results_json(results, run.description);
      out.close();
      if (!out) {
        fmt::print(stderr, "ferry-load: cannot write {}\n", options.json_path);
        return 1;
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "ferry-load: {}\n", e.what());
    return 1;
  }
  return 0;
}
