#include "control/sqlite_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "control/sqlite_db.h"
#include "tests/unit/control/test_support.h"

namespace ferry::control {
namespace {

namespace json = boost::json;
using testing::Harness;
using testing::TempDir;

std::string dump_text(const RegistryState& state) {
  std::string out;
  for (const RecordChange& c : state.dump()) {
    out.append(c.key).append("@").append(std::to_string(c.revision)).append("=");
    out.append(encode_record(c.value)).append("\n");
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(SqliteStore, KeepsEverythingAcrossARestart) {
  TempDir dir;
  std::string before;
  std::string epoch;
  {
    Harness h(dir.path());
    const std::string ns = h.create_namespace("keep.local");
    const std::string svc = h.create_service(ns, "web", true);
    h.register_instance(svc, "a", {{"k", "v"}});
    h.register_instance(svc, "b");
    h.ok("UpdateInstanceCustomHealthStatus",
         {{"ServiceId", svc}, {"InstanceId", "b"}, {"Status", "UNHEALTHY"}});
    h.ok("DeregisterInstance", {{"ServiceId", svc}, {"InstanceId", "a"}});
    before = dump_text(h.registry().state());
    epoch = h.registry().epoch();
  }
  Harness again(dir.path());
  EXPECT_EQ(dump_text(again.registry().state()), before);
  EXPECT_EQ(again.registry().epoch(), epoch);
  // Versions keep growing after the restart.
  const auto& state = again.registry().state();
  const std::string ns_id = state.namespaces().begin()->first;
  const auto version = state.namespace_version(ns_id);
  const std::string svc = state.services().begin()->first;
  again.register_instance(svc, "c");
  EXPECT_GT(again.registry().state().namespace_version(ns_id), version);
}

TEST(SqliteStore, IdempotencyTokensSurviveARestart) {
  TempDir dir;
  std::string svc;
  json::object body;
  std::string operation;
  {
    Harness h(dir.path());
    svc = h.create_service(h.create_namespace("tok.local"), "web");
    body = {{"ServiceId", svc},
            {"InstanceId", "i-1"},
            {"CreatorRequestId", "token-A"},
            {"Attributes", json::object{{"k", "v"}}}};
    operation = std::string(h.ok("RegisterInstance", body)["OperationId"].as_string());
    // A token of a request without an operation (CreateService).
    h.ok("CreateService", {{"Name", "other"},
                           {"NamespaceId", h.registry().state().namespaces().begin()->first},
                           {"CreatorRequestId", "token-B"}});
  }
  Harness h(dir.path());
  EXPECT_EQ(h.ok("RegisterInstance", body)["OperationId"], json::value(operation));
  json::object changed = body;
  changed["Attributes"] = json::object{{"k", "w"}};
  EXPECT_EQ(h.error("RegisterInstance", changed), "DuplicateRequest");
  EXPECT_EQ(
      h.ok("CreateService", {{"Name", "other"},
                             {"NamespaceId", h.registry().state().namespaces().begin()->first},
                             {"CreatorRequestId", "token-B"}})["Service"]
          .at("Name"),
      "other");
  // Operation ids sort by creation time.
  const auto& ops = h.registry().state().operations();
  ASSERT_EQ(ops.size(), 2u);  // CreateHttpNamespace, RegisterInstance
  Timestamp previous = 0;
  for (const auto& [key, entry] : ops) {
    EXPECT_GE(entry.value->create_date + 0.002, previous) << key;
    previous = entry.value->create_date;
  }
}

TEST(SqliteStore, AFreshDataDirGetsANewEpoch) {
  TempDir a;
  TempDir b;
  Harness first(a.path());
  Harness second(b.path());
  EXPECT_FALSE(first.registry().epoch().empty());
  EXPECT_NE(first.registry().epoch(), second.registry().epoch());
}

TEST(SqliteStore, GroupCommitsConcurrentWrites) {
  TempDir dir;
  Harness h(dir.path());
  const std::string ns = h.create_namespace("batch.local");
  const std::string svc = h.create_service(ns, "web");
  const std::size_t batches_before = h.batches().size();
  constexpr int kWrites = 200;
  int answered = 0;
  for (int i = 0; i < kWrites; ++i) {
    json::object body{{"ServiceId", svc},
                      {"InstanceId", "i" + std::to_string(i)},
                      {"Attributes", json::object{}}};
    h.api().handle("RegisterInstance", json::serialize(body), {}, [&](ApiReply r) {
      EXPECT_EQ(r.status, 200) << r.body;
      ++answered;
    });
  }
  ASSERT_TRUE(h.loop().run_until([&] { return answered == kWrites; }));
  const std::size_t batches = h.batches().size() - batches_before;
  EXPECT_LT(batches, static_cast<std::size_t>(kWrites));  // some commits carried several
  std::size_t acknowledged = 0;
  for (std::size_t i = batches_before; i < h.batches().size(); ++i) {
    acknowledged += h.batches()[i];
  }
  EXPECT_EQ(acknowledged, static_cast<std::size_t>(kWrites));
  EXPECT_EQ(h.registry().state().find_service(svc)->instances.size(),
            static_cast<std::size_t>(kWrites));
}

// A mutation whose row violates a constraint (a service in a namespace that
// does not exist) fails alone: its savepoint is rolled back, the others of the
// same batch commit.
TEST(SqliteStore, OneFailingRequestDoesNotRollBackItsBatch) {
  TempDir dir;
  std::string live;
  {
    Harness h(dir.path());
    const std::string ns = h.create_namespace("sp.local");
    const std::string svc = h.create_service(ns, "web");
    auto bad = std::make_shared<const Mutation>(
        Mutation{"Broken", [](const RegistryState&, ChangeSet& out) {
                   auto s = std::make_shared<Service>();
                   s->id = "srv-orphan";
                   s->name = "orphan";
                   s->namespace_id = "ns-missing";
                   out.changes.push_back(put_service(std::move(s)));
                   return MutationResult{std::nullopt, "{}"};
                 }});
    auto good = [&](const std::string& id) {
      RegisterInstanceArgs args{svc, id, {}, "", "op-" + id, {}, 1.0, {}};
      return make_mutation("RegisterInstance", args, &register_instance);
    };
    // Submitted together: the writer takes them as one batch.
    std::vector<std::optional<MutationResult>> results(3);
    h.store().submit(good("before"), [&](MutationResult r) { results[0] = std::move(r); });
    h.store().submit(bad, [&](MutationResult r) { results[1] = std::move(r); });
    h.store().submit(good("after"), [&](MutationResult r) { results[2] = std::move(r); });
    ASSERT_TRUE(h.loop().run_until([&] {
      return results[0].has_value() && results[1].has_value() && results[2].has_value();
    }));
    EXPECT_FALSE(results[0]->error.has_value());
    ASSERT_TRUE(results[1]->error.has_value());
    EXPECT_EQ(results[1]->error->status, 500);
    EXPECT_FALSE(results[2]->error.has_value());
    EXPECT_EQ(h.registry().state().find_service("srv-orphan"), nullptr);
    EXPECT_NE(h.registry().state().find_instance(svc, "before"), nullptr);
    EXPECT_NE(h.registry().state().find_instance(svc, "after"), nullptr);
    live = dump_text(h.registry().state());
  }
  // What is on disk is exactly what was acknowledged.
  Harness reopened(dir.path());
  EXPECT_EQ(dump_text(reopened.registry().state()), live);
}

TEST(SqliteStore, AFullDiskAnswers503AndNeverAcknowledgesWhatItLost) {
  TempDir dir;
  std::set<std::string> acknowledged;
  {
    SqliteStore::Options options;
    options.max_page_count = 40;  // pages of 4 KiB: fills after a few hundred instances
    Harness h(dir.path(), {}, options);
    const std::string ns = h.create_namespace("full.local");
    const std::string svc = h.create_service(ns, "web");
    int unavailable = 0;
    for (int i = 0; i < 2000 && unavailable < 3; ++i) {
      const std::string id = "instance-" + std::to_string(i);
      ApiReply r = h.call("RegisterInstance",
                          {{"ServiceId", svc},
                           {"InstanceId", id},
                           {"Attributes", json::object{{"pad", std::string(200, 'x')}}}});
      if (r.status == 200) {
        acknowledged.insert(id);
      } else {
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_EQ(r.error_code, "ServiceUnavailable");
        ++unavailable;
      }
    }
    EXPECT_EQ(unavailable, 3);
    EXPECT_FALSE(acknowledged.empty());
    // Reads keep working, and show exactly what was acknowledged.
    auto list = h.call("ListNamespaces", json::object{});
    EXPECT_EQ(list.status, 200);
    EXPECT_EQ(h.registry().state().find_service(svc)->instances.size(), acknowledged.size());
  }
  Harness reopened(dir.path());
  const auto& services = reopened.registry().state().services();
  ASSERT_EQ(services.size(), 1u);
  std::set<std::string> stored;
  for (const auto& [id, e] : services.begin()->second.instances) {
    stored.insert(id);
  }
  EXPECT_EQ(stored, acknowledged);
  // With space again, writes succeed.
  reopened.register_instance(services.begin()->first, "after-the-disk-freed");
}

TEST(SqliteStore, RefusesAFileWithADamagedRecord) {
  TempDir dir;
  {
    Harness h(dir.path());
    const std::string ns = h.create_namespace("dmg.local");
    const std::string svc = h.create_service(ns, "web");
    h.register_instance(svc, "i-1", {{"marker", "needle-needle-needle"}});
  }
  // Closing the last connection checkpointed the WAL into the main file.
  const std::string db = dir.file("registry.db");
  std::string bytes = read_file(db);
  const std::size_t at = bytes.find("needle-needle-needle");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] ^= 0x01;
  write_file(db, bytes);
  try {
    Harness h(dir.path());
    FAIL() << "a damaged record was loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(db), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
}

TEST(SqliteStore, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  { Harness h(dir.path()); }
  const std::string db = dir.file("registry.db");
  std::string bytes = read_file(db);
  bytes[0] = 'X';  // the "SQLite format 3" magic
  write_file(db, bytes);
  EXPECT_THROW(
      {
        try {
          Harness h(dir.path());
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find(db), std::string::npos) << e.what();
          throw;
        }
      },
      std::runtime_error);
}

TEST(SqliteStore, RefusesANewerSchemaAndAForeignFile) {
  TempDir newer;
  { Harness h(newer.path()); }
  {
    SqliteDb db(newer.file("registry.db"));
    db.exec("PRAGMA user_version=99");
  }
  try {
    Harness h(newer.path());
    FAIL() << "opened a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
  TempDir foreign;
  {
    SqliteDb db(foreign.file("registry.db"));
    db.exec("CREATE TABLE t(x)");
  }
  try {
    Harness h(foreign.path());
    FAIL() << "opened a foreign file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a ferry-control registry"), std::string::npos);
  }
}

TEST(SqliteStore, ASecondOpenOfTheSameDataDirFails) {
  TempDir dir;
  Harness h(dir.path());
  EXPECT_THROW(Harness(dir.path()), std::runtime_error);
}

// Copies of the file and its WAL taken while the store runs, with the WAL cut
// at many offsets: each copy opens to a prefix of the committed history
// (SQLite ignores a torn WAL tail), never to a mix.
TEST(SqliteStore, ATruncatedWalRecoversToACommittedPrefix) {
  TempDir dir;
  Harness h(dir.path());
  const std::string ns = h.create_namespace("wal.local");
  const std::string svc = h.create_service(ns, "web");
  for (int i = 0; i < 40; ++i) {
    h.register_instance(svc, "i" + std::to_string(100 + i));
  }
  const std::string db = read_file(dir.file("registry.db"));
  const std::string wal = read_file(dir.file("registry.db-wal"));
  ASSERT_GT(wal.size(), 4096u);
  std::mt19937 rng(7);
  for (int round = 0; round < 12; ++round) {
    TempDir copy;
    write_file(copy.file("registry.db"), db);
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, wal.size())(rng);
    write_file(copy.file("registry.db-wal"), wal.substr(0, cut));
    Harness recovered(copy.path());
    const auto* service = recovered.registry().state().find_service(svc);
    if (service == nullptr) {
      continue;  // cut before the service's commit
    }
    // Registrations committed in order i100, i101, ...: a prefix survives.
    int expected = 100;
    for (const auto& [id, e] : service->instances) {
      EXPECT_EQ(id, "i" + std::to_string(expected)) << "cut at " << cut;
      ++expected;
    }
  }
}

// The model check of RELIABILITY F10, deterministic: random registrations,
// deregistrations and health changes, with restarts in between; after each
// restart the store equals a plain map of what was acknowledged.
TEST(SqliteStore, MatchesAModelAcrossRestarts) {
  TempDir dir;
  std::map<std::string, std::string> model;  // instance id -> attribute value
  std::string svc;
  {
    Harness h(dir.path());
    svc = h.create_service(h.create_namespace("model.local"), "web", true);
  }
  std::mt19937 rng(42);
  for (int restart = 0; restart < 4; ++restart) {
    Harness h(dir.path());
    const auto* service = h.registry().state().find_service(svc);
    ASSERT_NE(service, nullptr);
    std::map<std::string, std::string> stored;
    for (const auto& [id, e] : service->instances) {
      stored[id] = e.value->attributes.empty() ? "" : e.value->attributes[0].second;
    }
    EXPECT_EQ(stored, model) << "after restart " << restart;
    for (int step = 0; step < 60; ++step) {
      const std::string id = "i" + std::to_string(rng() % 12);
      const int op = static_cast<int>(rng() % 3);
      if (op == 0) {
        const std::string value = std::to_string(rng() % 1000);
        h.register_instance(svc, id, {{"v", value}});
        model[id] = value;
      } else if (op == 1) {
        ApiReply r = h.call("DeregisterInstance", {{"ServiceId", svc}, {"InstanceId", id}});
        EXPECT_EQ(r.status == 200, model.erase(id) == 1) << r.body;
      } else if (model.count(id) != 0) {
        h.ok("UpdateInstanceCustomHealthStatus", {{"ServiceId", svc},
                                                  {"InstanceId", id},
                                                  {"Status", rng() % 2 ? "HEALTHY" : "UNHEALTHY"}});
      }
    }
  }
}

}  // namespace
}  // namespace ferry::control
