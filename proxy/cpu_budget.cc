#include "proxy/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace ferry::proxy {
namespace {

std::optional<long long> parse_integer(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<unsigned> quota_to_cpus(long long quota, long long period) {
  if (quota <= 0 || period <= 0) {
    return std::nullopt;
  }
  return static_cast<unsigned>(std::max<long long>(1, (quota + period - 1) / period));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The cgroup path of this process for a v1 controller ("cpu") or v2 ("").
std::optional<std::string> own_cgroup(std::string_view controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // "hierarchy-id:controller-list:path"
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    std::string_view controllers(line.data() + first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controller.empty() ? controllers.empty()
                           : controllers.find(controller) != std::string_view::npos) {
      return path;
    }
  }
  return std::nullopt;
}

std::optional<unsigned> quota_cpus() {
  if (auto path = own_cgroup("")) {
    const std::string max = read_file("/sys/fs/cgroup" + *path + "/cpu.max");
    if (!max.empty()) {
      return cpus_from_cgroup_v2(max);
    }
  }
  if (auto path = own_cgroup("cpu")) {
    for (const char* root : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
      const std::string quota = read_file(std::string(root) + *path + "/cpu.cfs_quota_us");
      const std::string period = read_file(std::string(root) + *path + "/cpu.cfs_period_us");
      if (!quota.empty() && !period.empty()) {
        return cpus_from_cgroup_v1(quota, period);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<unsigned> cpus_from_cgroup_v2(std::string_view cpu_max) {
  const auto space = cpu_max.find(' ');
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  auto quota = parse_integer(cpu_max.substr(0, space));
  auto period = parse_integer(cpu_max.substr(space + 1));
  if (!quota || !period) {
    return std::nullopt;  // "max" or garbage: no quota
  }
  return quota_to_cpus(*quota, *period);
}

std::optional<unsigned> cpus_from_cgroup_v1(std::string_view quota_us, std::string_view period_us) {
  auto quota = parse_integer(quota_us);
  auto period = parse_integer(period_us);
  if (!quota || !period) {
    return std::nullopt;
  }
  return quota_to_cpus(*quota, *period);
}

unsigned available_cpus() {
  unsigned cpus = 1;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    cpus = std::max(1, CPU_COUNT(&set));
  }
  if (auto quota = quota_cpus()) {
    cpus = std::min(cpus, *quota);
  }
  return std::max(1u, cpus);
}

}  // namespace ferry::proxy
