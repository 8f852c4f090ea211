// ferry-control's command line: --version, --help, exit codes, and the
// loopback-only rule without credentials.
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

std::string binary() {
  return bin_dir() + "/ferry-control";
}

TEST(CommandLine, PrintsVersionAndHelp) {
  const CommandResult version = run_command({binary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("ferry-control 0."), std::string::npos) << version.out;
  const CommandResult help = run_command({binary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag :
       {"--listen", "--data-dir", "--store", "--credentials", "--instance-ttl", "--max-watchers"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
}

TEST(CommandLine, BadFlagsExitTwo) {
  TempDir dir;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-such-flag"},
           {"--data-dir", dir.path(), "--listen", "not-an-address"},
           {"--data-dir", dir.path(), "--instance-ttl", "5"},
           {},  // neither --data-dir nor --store
           {"--data-dir", dir.path(), "--store", "etcd://127.0.0.1:1"},
           {"--store", "http://127.0.0.1:2379"},
           {"--data-dir", dir.path(), "--max-watchers", "0"}}) {
    std::vector<std::string> argv = {binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "(none)" : args[0]) << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

TEST(CommandLine, WithoutCredentialsOnlyLoopback) {
  TempDir dir;
  const CommandResult r =
      run_command({binary(), "--data-dir", dir.path(), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("without --credentials"), std::string::npos) << r.err;
  ControlProcess loopback({});
  EXPECT_TRUE(loopback.ready());
  EXPECT_NE(loopback.logs().find("NOT authenticated"), std::string::npos);
  // With credentials, any address is allowed.
  const std::string creds =
      dir.write("creds", "[default]\naws_access_key_id=A\naws_secret_access_key=s\n");
  ControlProcess open(ControlProcess::with_credentials(creds, "0.0.0.0:0"));
  EXPECT_TRUE(open.ready());
}

TEST(CommandLine, RuntimeFailuresExitOne) {
  TempDir dir;
  // The data dir's file is not a database.
  dir.write("registry.db", "this is not sqlite");
  const CommandResult r = run_command({binary(), "--data-dir", dir.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(dir.file("registry.db")), std::string::npos) << r.err;
  // The port is taken.
  ControlProcess first({});
  TempDir other;
  const CommandResult taken =
      run_command({binary(), "--data-dir", other.path(), "--listen", first.address()});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("cannot listen"), std::string::npos) << taken.err;
  // A broken credentials file.
  const CommandResult creds = run_command(
      {binary(), "--data-dir", other.path(), "--credentials", dir.write("c", "[x]\nnope\n")});
  EXPECT_EQ(creds.exit_code, 1);
  EXPECT_NE(creds.err.find(":2:"), std::string::npos) << creds.err;
}

TEST(CommandLine, SigtermStopsCleanly) {
  ControlProcess server({});
  // A parked watch is answered (503) and the process exits 0.
  const CommandResult op =
      aws(server.endpoint(), {"create-http-namespace", "--name", "term.local"});
  ASSERT_EQ(op.exit_code, 0) << op.err;
  const HttpResponse snapshot = http_get(server.address(), "/v1/watch?namespace=term.local");
  ASSERT_EQ(snapshot.status, 200);
  const auto v = parse_json(snapshot.body);
  Socket watcher = Socket::connect(server.address());
  watcher.send_all(
      "GET /v1/watch?namespace=term.local&epoch=" + std::string(v.at("epoch").as_string()) +
      "&version=" + std::to_string(v.at("version").as_int64()) +
      "&timeout=60s HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return server.metric("ferry_control_watchers") == 1; }));
  EXPECT_EQ(server.stop(), 0);
  const std::string answer = watcher.read_all(std::chrono::seconds(5));
  EXPECT_NE(answer.find("503"), std::string::npos) << answer;
}

}  // namespace
}  // namespace ferry::test::control
