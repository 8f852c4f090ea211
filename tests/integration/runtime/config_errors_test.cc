// Bad configs end the process with exit code 2 and FILE:LINE: key.path lines
// (RELIABILITY CF-01…CF-03), before any port is bound.
#include <gtest/gtest.h>

#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

CommandResult start(const TempDir& dir, const std::string& yaml, bool check_only) {
  const std::string path = dir.write("ferry.yaml", yaml);
  std::vector<std::string> argv = {bin_dir() + "/ferry-proxy", "--config", path};
  if (check_only) {
    argv.push_back("--check-config");
  }
  return run_command(argv, 10s);
}

TEST(ConfigErrors, TypoUnknownKeyIsExitTwoWithFileLineAndPath) {
  TempDir dir;
  const std::string yaml =
      "listeners:\n"
      "  - name: web\n"
      "    address: 127.0.0.1:0\n"
      "    idel_timeout: 5s\n"
      "    cluster: backend\n"
      "clusters:\n"
      "  - {name: backend, endpoints: [127.0.0.1:8080]}\n";
  for (bool check_only : {true, false}) {
    const CommandResult r = start(dir, yaml, check_only);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(dir.file("ferry.yaml") + ":4: listeners[0].idel_timeout:"),
              std::string::npos)
        << r.err;
  }
}

TEST(ConfigErrors, EveryErrorIsReported) {
  TempDir dir;
  const CommandResult r = start(dir,
                                "workers: -1\n"
                                "listeners:\n"
                                "  - {name: a, address: 127.0.0.1:70000, cluster: missing}\n"
                                "  - {name: a, address: 127.0.0.1:0, cluster: x, idle_timeout: 5}\n"
                                "clusters:\n"
                                "  - {name: x, endpoints: [127.0.0.1:1], connect_timeout: -1s,\n"
                                "     circuit_breakers: {max_connections: 0}}\n",
                                true);
  EXPECT_EQ(r.exit_code, 2);
  for (const char* fragment :
       {":1: workers", ":3: listeners[0].address", ":3: listeners[0].cluster",
        ":4: listeners[1].name", ":4: listeners[1].idle_timeout", ":6: clusters[0].connect_timeout",
        ":7: clusters[0].circuit_breakers.max_connections"}) {
    EXPECT_NE(r.err.find(fragment), std::string::npos) << fragment << "\n" << r.err;
  }
}

TEST(ConfigErrors, NestingAndAliasBombsAreRejectedFast) {
  TempDir dir;
  const auto deep_start = std::chrono::steady_clock::now();
  const CommandResult deep = start(dir, std::string(100'000, '['), true);
  EXPECT_EQ(deep.exit_code, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - deep_start, 5s);

  std::string bomb =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  const char* names = "abcdefghi";
  for (int i = 1; i < 9; ++i) {
    std::string prev(1, names[i - 1]);
    bomb += std::string(1, names[i]) + ": &" + names[i] + " [*" + prev + ",*" + prev + ",*" + prev +
            ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev +
            "]\n";
  }
  const CommandResult aliases = start(dir, bomb, true);
  EXPECT_EQ(aliases.exit_code, 2);
  EXPECT_NE(aliases.err.find("anchor"), std::string::npos) << aliases.err;
}

TEST(ConfigErrors, ABadConfigBindsNothing) {
  // strace shows every listen() the process makes: a config error must come
  // before the first one, even when the other listeners are valid.
  TempDir dir;
  const std::string path =
      dir.write("ferry.yaml",
                "listeners:\n  - {name: ok, address: 127.0.0.1:0, protocol: tcp, cluster: x}\n"
                "clusters:\n  - {name: x, endpoints: [127.0.0.1:1], lb_policy: fastest}\n");
  // LeakSanitizer cannot run under ptrace; the leak check is not what this
  // test is about.
  const CommandResult r =
      run_command({require_tool("strace"), "-f", "-e", "trace=listen", "-o", dir.file("trace"),
                   bin_dir() + "/ferry-proxy", "--config", path},
                  30s, {{"ASAN_OPTIONS", "detect_leaks=0"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("clusters[0].lb_policy"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(dir.file("trace")).find("listen("), std::string::npos);
}

TEST(ConfigErrors, VersionAndHelp) {
  const CommandResult version = run_command({bin_dir() + "/ferry-proxy", "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("ferry-proxy " FERRY_TEST_VERSION), std::string::npos);
  const CommandResult help = run_command({bin_dir() + "/ferry-proxy", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--admin-address-path"), std::string::npos);
  const CommandResult bad = run_command({bin_dir() + "/ferry-proxy", "--bogus"});
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace ferry::test
