#include "proxy/cpu_budget.h"

#include <gtest/gtest.h>

namespace ferry::proxy {
namespace {

TEST(CpuBudget, CgroupV2Quota) {
  EXPECT_EQ(cpus_from_cgroup_v2("max 100000\n"), std::nullopt);
  EXPECT_EQ(cpus_from_cgroup_v2("100000 100000\n"), 1u);
  EXPECT_EQ(cpus_from_cgroup_v2("250000 100000"), 3u);
  EXPECT_EQ(cpus_from_cgroup_v2("50000 100000"), 1u);
  EXPECT_EQ(cpus_from_cgroup_v2("garbage"), std::nullopt);
}

TEST(CpuBudget, CgroupV1Quota) {
  EXPECT_EQ(cpus_from_cgroup_v1("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(cpus_from_cgroup_v1("200000\n", "100000\n"), 2u);
  EXPECT_EQ(cpus_from_cgroup_v1("150000", "100000"), 2u);
}

TEST(CpuBudget, AtLeastOneAndNoMoreThanTheAffinityMask) {
  const unsigned cpus = available_cpus();
  EXPECT_GE(cpus, 1u);
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_LE(cpus, static_cast<unsigned>(CPU_COUNT(&set)));
}

}  // namespace
}  // namespace ferry::proxy
