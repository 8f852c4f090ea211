#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace ferry::perf {

// CPU time a process has used so far (all its threads), from /proc/PID/stat.
struct ProcessCpu {
  double user_seconds = 0;
  double system_seconds = 0;
};

// nullopt when the process is gone or /proc cannot be read. Resolution is
// the kernel's clock tick (10 ms at USER_HZ 100): meant for windows of
// seconds. Any thread.
std::optional<ProcessCpu> read_process_cpu(pid_t pid);

// The sum over `pids`; nullopt if any of them cannot be read.
std::optional<ProcessCpu> read_processes_cpu(const std::vector<pid_t>& pids);

}  // namespace ferry::perf
