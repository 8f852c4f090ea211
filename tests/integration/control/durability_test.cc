// RELIABILITY FT-04 (kill -9 during concurrent registrations), FT-05 (the
// fsync precedes the acknowledgement, checked under strace), FT-06 (damaged
// stores) and FT-07 (a full disk) against the real binary.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

namespace json = boost::json;

// Creates a namespace and a service through the raw API; returns the service id.
std::string make_service(const std::string& address, const std::string& ns_name) {
  const HttpResponse op =
      cloudmap_request(address, "CreateHttpNamespace", R"({"Name":")" + ns_name + R"("})");
  EXPECT_EQ(op.status, 200) << op.body;
  const std::string op_id(parse_json(op.body).at("OperationId").as_string());
  const HttpResponse got =
      cloudmap_request(address, "GetOperation", R"({"OperationId":")" + op_id + R"("})");
  const std::string ns(
      parse_json(got.body).at("Operation").at("Targets").at("NAMESPACE").as_string());
  const HttpResponse svc =
      cloudmap_request(address, "CreateService", R"({"Name":"web","NamespaceId":")" + ns + R"("})");
  EXPECT_EQ(svc.status, 200) << svc.body;
  return std::string(parse_json(svc.body).at("Service").at("Id").as_string());
}

HttpResponse register_instance(const std::string& address, const std::string& service,
                               const std::string& id, const std::string& pad = "x") {
  return cloudmap_request(address, "RegisterInstance",
                          R"({"ServiceId":")" + service + R"(","InstanceId":")" + id +
                              R"(","Attributes":{"pad":")" + pad + R"("}})");
}

std::set<std::string> instances(const std::string& address, const std::string& service) {
  std::set<std::string> out;
  std::string token;
  for (int page = 0; page < 100; ++page) {
    std::string body = R"({"ServiceId":")" + service + R"(","MaxResults":100)";
    if (!token.empty()) {
      body += R"(,"NextToken":")" + token + "\"";
    }
    body += "}";
    const HttpResponse r = cloudmap_request(address, "ListInstances", body);
    EXPECT_EQ(r.status, 200) << r.body;
    const json::value v = parse_json(r.body);
    for (const auto& i : v.at("Instances").as_array()) {
      EXPECT_TRUE(out.insert(std::string(i.at("Id").as_string())).second) << "duplicate";
    }
    if (!v.as_object().contains("NextToken")) {
      break;
    }
    token = std::string(v.at("NextToken").as_string());
  }
  return out;
}

// FT-05. Each acknowledged write's operation id appears in a page SQLite
// writes to the WAL; a completed fdatasync/fsync of the WAL must come after
// that write and before the response bytes. Fails if the fsync is missing or
// late (kill -9 alone cannot show that: the page cache survives it).
TEST(Durability, TheWalIsFsyncedBeforeEveryAcknowledgement) {
  require_tool("strace");
  TempDir dir;
  const std::string trace = dir.file("trace");
  ControlProcess::Options options;
  // LeakSanitizer cannot run under ptrace (it aborts at exit in sanitizer
  // builds); leaks are checked by every other test of this binary.
  options.prefix = {"env",
                    "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1",
                    "strace",
                    "-f",
                    "-y",
                    "-s",
                    "16384",
                    "-o",
                    trace,
                    "-e",
                    "trace=fdatasync,fsync,pwrite64,write,writev,sendto,sendmsg"};
  ControlProcess server(options);
  const std::string service = make_service(server.address(), "fsync.local");
  std::set<std::string> acked;
  auto remember = [&](const HttpResponse& r) {
    ASSERT_EQ(r.status, 200) << r.body;
    acked.insert(std::string(parse_json(r.body).at("OperationId").as_string()));
  };
  for (int i = 0; i < 15; ++i) {
    remember(register_instance(server.address(), service, "seq-" + std::to_string(i)));
  }
  // Concurrent ones share group commits.
  std::vector<std::thread> threads;
  std::mutex mutex;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const HttpResponse r =
            register_instance(server.address(), service, "c" + std::to_string(t * 10 + i));
        std::lock_guard lock(mutex);
        remember(r);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(server.stop(), 0);
  ASSERT_EQ(acked.size(), 55u);

  std::ifstream in(trace);
  std::string line;
  std::size_t line_no = 0;
  std::map<std::string, std::size_t> wal_write;  // operation id -> first WAL write line
  std::vector<std::size_t> fsync_done;           // lines where a WAL sync completed
  std::map<std::string, bool> pending_sync;      // pid -> a WAL sync is unfinished
  std::map<std::string, std::size_t> acked_at;   // operation id -> response write line
  while (std::getline(in, line)) {
    ++line_no;
    const std::string pid = line.substr(0, line.find(' '));
    const bool sync_call =
        line.find("fdatasync(") != std::string::npos || line.find("fsync(") != std::string::npos;
    if (sync_call && line.find("registry.db-wal") != std::string::npos) {
      if (line.find("<unfinished") != std::string::npos) {
        pending_sync[pid] = true;
      } else if (line.find(" = 0") != std::string::npos) {
        fsync_done.push_back(line_no);
      }
      continue;
    }
    if (line.find("resumed>") != std::string::npos && pending_sync[pid] &&
        (line.find("fdatasync") != std::string::npos || line.find("fsync") != std::string::npos)) {
      pending_sync[pid] = false;
      if (line.find(" = 0") != std::string::npos) {
        fsync_done.push_back(line_no);
      }
      continue;
    }
    const bool wal_pwrite = line.find("pwrite64(") != std::string::npos &&
                            line.find("registry.db-wal") != std::string::npos;
    const bool response = line.find("HTTP/1.1 200") != std::string::npos;
    for (const std::string& op : acked) {
      if (line.find(op) == std::string::npos) {
        continue;
      }
      if (wal_pwrite && wal_write.count(op) == 0) {
        wal_write[op] = line_no;
      } else if (response && !wal_pwrite) {
        acked_at[op] = line_no;
      }
    }
  }
  ASSERT_FALSE(fsync_done.empty()) << "no fdatasync/fsync of the WAL at all";
  for (const std::string& op : acked) {
    ASSERT_TRUE(wal_write.count(op)) << op << " never written to the WAL";
    ASSERT_TRUE(acked_at.count(op)) << op << " response not in the trace";
    const std::size_t written = wal_write[op];
    const std::size_t answered = acked_at[op];
    const bool synced = std::any_of(fsync_done.begin(), fsync_done.end(),
                                    [&](std::size_t s) { return s > written && s < answered; });
    EXPECT_TRUE(synced) << op << ": written at line " << written << ", acknowledged at line "
                        << answered << " without a WAL fsync in between";
  }
}

// FT-04. kill -9 while 32 clients register: every registration that got a
// 2xx is there after the restart, none twice.
TEST(Durability, EveryAcknowledgedRegistrationSurvivesKillNine) {
  require_executable("/usr/bin/python3");
  TempDir dir;
  ControlProcess::Options options;
  options.data_dir = dir.file("data");
  auto server = std::make_unique<ControlProcess>(options);
  const std::string service = make_service(server->address(), "kill.local");
  Process::Options script;
  script.argv = {"/usr/bin/python3",
                 std::string(FERRY_CONTROL_SCRIPTS) + "/register_many.py",
                 server->endpoint(),
                 service,
                 "500",
                 "32"};
  script.env = aws_env();
  script.log_dir = dir.path();
  Process clients(script);
  auto acks = [&] {
    std::set<std::string> out;
    std::istringstream lines(clients.stdout_text());
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("ACK ", 0) == 0) {
        out.insert(line.substr(4));
      }
    }
    return out;
  };
  ASSERT_TRUE(eventually([&] { return acks().size() >= 150 || !clients.running(); },
                         std::chrono::seconds(60)))
      << clients.stderr_text();
  server->process().signal(SIGKILL);
  EXPECT_EQ(server->process().wait(std::chrono::seconds(10)), 128 + SIGKILL);
  ASSERT_TRUE(clients.wait(std::chrono::seconds(60)).has_value());
  const std::set<std::string> acknowledged = acks();
  ASSERT_GE(acknowledged.size(), 150u);
  ASSERT_LT(acknowledged.size(), 500u) << "the kill came too late to test anything";

  server = std::make_unique<ControlProcess>(options);
  const std::set<std::string> stored = instances(server->address(), service);
  for (const std::string& id : acknowledged) {
    EXPECT_TRUE(stored.count(id)) << id << " was acknowledged but is gone";
  }
  EXPECT_LE(stored.size(), 500u);
}

// FT-06. A flipped bit in a record: refuse to start, naming the file. A WAL
// cut at random offsets after kill -9: start with a committed prefix.
TEST(Durability, DamagedStoresAreRefusedOrRecovered) {
  TempDir dir;
  ControlProcess::Options options;
  options.data_dir = dir.file("data");
  std::string service;
  {
    ControlProcess server(options);
    service = make_service(server.address(), "damage.local");
    for (int i = 0; i < 30; ++i) {
      ASSERT_EQ(register_instance(server.address(), service, "i" + std::to_string(100 + i),
                                  "marker-marker-marker")
                    .status,
                200);
    }
    server.process().signal(SIGKILL);
    server.process().wait(std::chrono::seconds(10));
  }
  const std::string db = options.data_dir + "/registry.db";
  const std::string wal_bytes = read_file(db + "-wal");
  const std::string db_bytes = read_file(db);
  ASSERT_GT(wal_bytes.size(), 0u);
  std::mt19937 rng(11);
  for (int round = 0; round < 4; ++round) {
    TempDir copy;
    std::filesystem::create_directories(copy.file("data"));
    std::ofstream(copy.file("data/registry.db"), std::ios::binary) << db_bytes;
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, wal_bytes.size())(rng);
    std::ofstream(copy.file("data/registry.db-wal"), std::ios::binary) << wal_bytes.substr(0, cut);
    ControlProcess::Options o;
    o.data_dir = copy.file("data");
    ControlProcess recovered(o);
    ASSERT_TRUE(recovered.ready()) << "cut at " << cut << ": " << recovered.logs();
    const HttpResponse list = cloudmap_request(recovered.address(), "ListServices", "{}");
    ASSERT_EQ(list.status, 200);
    if (parse_json(list.body).at("Services").as_array().empty()) {
      continue;
    }
    int expected = 100;
    for (const std::string& id : instances(recovered.address(), service)) {
      EXPECT_EQ(id, "i" + std::to_string(expected++)) << "cut at " << cut;
    }
  }
  // Recover fully once, stop cleanly (checkpoint), then damage a record.
  {
    ControlProcess server(options);
    EXPECT_EQ(instances(server.address(), service).size(), 30u);
    EXPECT_EQ(server.stop(), 0);
  }
  std::string bytes = read_file(db);
  const std::size_t at = bytes.find("marker-marker-marker");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] ^= 0x04;
  std::ofstream(db, std::ios::binary | std::ios::trunc) << bytes;
  const CommandResult refused =
      run_command({bin_dir() + "/ferry-control", "--data-dir", options.data_dir});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(db), std::string::npos) << refused.err;
}

// FT-07. The data dir on a 1 MiB tmpfs (a private mount namespace): once it
// is full writes get 503, never a 2xx; reads keep working; freeing space
// lets writes succeed again.
TEST(Durability, AFullDiskGives503AndRecovers) {
  require_tool("unshare");
  require_tool("nsenter");
  TempDir dir;
  const std::string mount = dir.file("tmpfs");
  std::filesystem::create_directories(mount);
  ControlProcess::Options options;
  options.data_dir = mount + "/data";
  options.prefix = {"unshare",
                    "-m",
                    "sh",
                    "-c",
                    "mount -t tmpfs -o size=1m tmpfs " + mount + " && dd if=/dev/zero of=" + mount +
                        "/filler bs=1k count=400 2>/dev/null && exec \"$@\"",
                    "sh"};
  ControlProcess server(options);
  const std::string service = make_service(server.address(), "full.local");
  std::set<std::string> acknowledged;
  int unavailable = 0;
  const std::string pad(900, 'p');
  for (int i = 0; i < 3000 && unavailable < 3; ++i) {
    const std::string id = "i" + std::to_string(i);
    const HttpResponse r = register_instance(server.address(), service, id, pad);
    if (r.status == 200) {
      acknowledged.insert(id);
    } else {
      EXPECT_EQ(r.status, 503) << r.body;
      ++unavailable;
    }
  }
  ASSERT_EQ(unavailable, 3) << "the disk never filled";
  EXPECT_EQ(instances(server.address(), service), acknowledged);  // reads work, nothing extra
  EXPECT_TRUE(server.ready());
  const CommandResult freed = run_command(
      {"nsenter", "-t", std::to_string(server.server_pid()), "-m", "rm", "-f", mount + "/filler"});
  ASSERT_EQ(freed.exit_code, 0) << freed.err;
  EXPECT_TRUE(eventually(
      [&] { return register_instance(server.address(), service, "after", "x").status == 200; },
      std::chrono::seconds(10)));
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace ferry::test::control
