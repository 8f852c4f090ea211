#include "discovery/hosts_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/unit/discovery/temp_dir.h"

namespace ferry::discovery {
namespace {

using test::slurp;
using test::spit;

const char* kSystem =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost\n"
    "# a comment\n"
    "10.0.0.9 db.internal\n";

TEST(HostsFileTest, AppendsTheBlockAndLeavesEveryOtherLine) {
  const std::string out =
      HostsFile::rewrite(kSystem, {{"127.255.0.1", "backend"}, {"127.255.0.2", "cache"}});
  EXPECT_EQ(out, std::string(kSystem) +
                     "# BEGIN ferry (managed by ferry-proxy; edits inside are overwritten)\n"
                     "127.255.0.1 backend\n"
                     "127.255.0.2 cache\n"
                     "# END ferry\n");
}

TEST(HostsFileTest, ReplacesTheBlockWhereItStands) {
  const std::string before =
      "127.0.0.1 localhost\n# BEGIN ferry\n127.255.0.1 old\n# END ferry\n"
      "10.1.1.1 added.later\n";
  const std::string out = HostsFile::rewrite(before, {{"127.255.0.3", "new"}});
  EXPECT_EQ(out,
            "127.0.0.1 localhost\n"
            "# BEGIN ferry (managed by ferry-proxy; edits inside are overwritten)\n"
            "127.255.0.3 new\n# END ferry\n10.1.1.1 added.later\n");
  // Idempotent.
  EXPECT_EQ(HostsFile::rewrite(out, {{"127.255.0.3", "new"}}), out);
}

TEST(HostsFileTest, EmptyListRemovesTheBlock) {
  const std::string with = HostsFile::rewrite(kSystem, {{"127.255.0.1", "backend"}});
  EXPECT_EQ(HostsFile::rewrite(with, {}), kSystem);
}

TEST(HostsFileTest, BeginWithoutEndDropsOnlyOurLines) {
  const std::string cut =
      "127.0.0.1 localhost\n# BEGIN ferry\n127.255.0.1 a\n127.255.0.2 b\n"
      "10.0.0.1 theirs\n";
  const std::string out = HostsFile::rewrite(cut, {{"127.255.0.4", "c"}});
  EXPECT_EQ(out,
            "127.0.0.1 localhost\n"
            "# BEGIN ferry (managed by ferry-proxy; edits inside are overwritten)\n"
            "127.255.0.4 c\n# END ferry\n10.0.0.1 theirs\n");
}

TEST(HostsFileTest, TwoBlocksCollapseIntoOne) {
  const std::string two =
      "# BEGIN ferry\n127.255.0.1 a\n# END ferry\nx y\n"
      "# BEGIN ferry\n127.255.0.2 b\n# END ferry\n";
  const std::string out = HostsFile::rewrite(two, {{"127.255.0.1", "a"}});
  EXPECT_EQ(out.find("# BEGIN ferry"), out.rfind("# BEGIN ferry"));
  EXPECT_NE(out.find("x y\n"), std::string::npos);
  EXPECT_EQ(out.find("127.255.0.2"), std::string::npos);
}

TEST(HostsFileTest, MissingFinalNewlineIsRepaired) {
  EXPECT_EQ(HostsFile::rewrite("1.2.3.4 a", {{"127.255.0.1", "b"}}).substr(0, 10), "1.2.3.4 a\n");
}

TEST(HostsFileTest, UpdateWritesOnlyOnChangeAndKeepsTheMode) {
  test::TempDir dir;
  const std::string path = dir.file("hosts");
  spit(path, kSystem);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  HostsFile hosts(path);
  std::string error;
  ASSERT_TRUE(hosts.update({{"127.255.0.1", "backend"}}, error)) << error;
  EXPECT_EQ(hosts.stats().writes, 1u);
  EXPECT_NE(slurp(path).find("127.255.0.1 backend\n"), std::string::npos);
  EXPECT_TRUE(slurp(path).starts_with(kSystem));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_TRUE(hosts.update({{"127.255.0.1", "backend"}}, error));
  EXPECT_EQ(hosts.stats().writes, 1u);  // unchanged: not rewritten
  // No temporary file is left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(HostsFileTest, MissingFileIsCreatedOnlyWhenThereIsSomethingToWrite) {
  test::TempDir dir;
  HostsFile hosts(dir.file("hosts"));
  std::string error;
  ASSERT_TRUE(hosts.update({}, error));
  EXPECT_FALSE(std::filesystem::exists(dir.file("hosts")));
  ASSERT_TRUE(hosts.update({{"127.255.0.1", "a"}}, error)) << error;
  EXPECT_TRUE(std::filesystem::exists(dir.file("hosts")));
}

TEST(HostsFileTest, UnwritableDirectoryIsAnErrorNotACrash) {
  HostsFile hosts("/proc/ferry-no-such/hosts");
  std::string error;
  EXPECT_FALSE(hosts.update({{"127.255.0.1", "a"}}, error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(hosts.stats().failures, 1u);
}

}  // namespace
}  // namespace ferry::discovery
