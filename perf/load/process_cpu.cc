#include "perf/load/process_cpu.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace ferry::perf {

std::optional<ProcessCpu> read_process_cpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) {
    return std::nullopt;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count
  // fields from the last ')'. utime and stime are fields 14 and 15.
  const auto close = line.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(line.substr(close + 1));
  std::string skip;
  for (int field = 3; field < 14; ++field) {
    fields >> skip;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(fields >> utime >> stime)) {
    return std::nullopt;
  }
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return ProcessCpu{static_cast<double>(utime) / tick, static_cast<double>(stime) / tick};
}

std::optional<ProcessCpu> read_processes_cpu(const std::vector<pid_t>& pids) {
  ProcessCpu total;
  for (pid_t pid : pids) {
    const auto cpu = read_process_cpu(pid);
    if (!cpu) {
      return std::nullopt;
    }
    total.user_seconds += cpu->user_seconds;
    total.system_seconds += cpu->system_seconds;
  }
  return total;
}

}  // namespace ferry::perf
