#pragma once

#include <optional>
#include <string_view>

namespace ferry::proxy {

// The number of CPUs this process may use: the CPUs in its affinity mask,
// lowered by a cgroup CPU quota (v2 `cpu.max`, or v1 `cpu.cfs_quota_us` /
// `cpu.cfs_period_us`) rounded up. At least 1. This is what `workers: 0`
// means (DESIGN.md), never the host's core count.
unsigned available_cpus();

// The quota part alone, for tests: CPUs allowed by a cgroup v2 `cpu.max` line
// ("max 100000" → nullopt, "250000 100000" → 3).
std::optional<unsigned> cpus_from_cgroup_v2(std::string_view cpu_max);
// The same for cgroup v1's two files (quota -1 → nullopt).
std::optional<unsigned> cpus_from_cgroup_v1(std::string_view quota_us, std::string_view period_us);

}  // namespace ferry::proxy
