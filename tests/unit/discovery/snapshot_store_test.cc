#include "discovery/snapshot_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "proxy/core/sigv4/digest.h"
#include "tests/unit/discovery/manual_scheduler.h"
#include "tests/unit/discovery/snapshot_json.h"
#include "tests/unit/discovery/temp_dir.h"

namespace ferry::discovery {
namespace {

using namespace std::chrono_literals;

using test::instance_json;
using test::service_json;
using test::snapshot_json;

std::shared_ptr<const NamespaceSnapshot> snapshot(const std::string& ns, std::int64_t version,
                                                  int instances = 2) {
  std::vector<boost::json::object> list;
  for (int i = 0; i < instances; ++i) {
    list.push_back(instance_json("i-" + std::to_string(i), "10.0.0." + std::to_string(i + 1), 8080,
                                 i % 2 == 0 ? "HEALTHY" : "UNHEALTHY",
                                 {{"ferry.aliases", "web:80"}, {"zone", "us-east-1a"}}));
  }
  auto parsed = parse_snapshot(
      snapshot_json(ns, version, {service_json("web", "srv-0123456789abcdef", std::move(list))}),
      {});
  EXPECT_TRUE(parsed.snapshot) << parsed.error;
  return std::make_shared<const NamespaceSnapshot>(std::move(*parsed.snapshot));
}

StoredSnapshots stored() {
  StoredSnapshots s;
  s.saved_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'800'000'000'123));
  s.namespaces["a.local"] = snapshot("a.local", 3);
  s.namespaces["b.local"] = snapshot("b.local", 9, 5);
  return s;
}

TEST(SnapshotStoreTest, EncodeDecodeRoundTrip) {
  const std::string text = SnapshotStore::encode(stored());
  SnapshotLoad load = SnapshotStore::decode(text, {});
  ASSERT_EQ(load.status, SnapshotLoad::Status::Loaded) << load.error;
  EXPECT_EQ(load.snapshots.saved_at, stored().saved_at);
  ASSERT_EQ(load.snapshots.namespaces.size(), 2u);
  EXPECT_EQ(snapshot_to_json(*load.snapshots.namespaces.at("b.local")),
            snapshot_to_json(*stored().namespaces.at("b.local")));
  EXPECT_EQ(SnapshotStore::encode(load.snapshots), text);
  // One line, valid JSON, the documented header.
  EXPECT_TRUE(text.starts_with(R"({"format":"ferry.discovery.snapshot","format_version":1,)"));
  EXPECT_EQ(text.find('\n'), text.size() - 1);
}

TEST(SnapshotStoreTest, ARestartedStoreServesTheSavedSnapshot) {
  test::TempDir dir;
  test::ManualScheduler scheduler;
  const std::string path = dir.file("state/snapshot.json");  // directory created on demand
  {
    SnapshotStore store(scheduler, path);
    EXPECT_EQ(store.load().status, SnapshotLoad::Status::Missing);
    store.put(snapshot("a.local", 4));
    EXPECT_EQ(store.stats().writes, 1u);
  }
  SnapshotStore restarted(scheduler, path);
  SnapshotLoad load = restarted.load();
  ASSERT_EQ(load.status, SnapshotLoad::Status::Loaded) << load.error;
  EXPECT_EQ(load.snapshots.namespaces.at("a.local")->version, 4);
  // Saved with millisecond precision.
  EXPECT_LE(std::chrono::abs(load.snapshots.saved_at - scheduler.wall_now()), 1ms);
  // A later put of another namespace keeps the loaded one.
  restarted.put(snapshot("b.local", 1));
  ASSERT_TRUE(restarted.flush());
  SnapshotStore third(scheduler, path);
  EXPECT_EQ(third.load().snapshots.namespaces.size(), 2u);
  // Only the final file remains (temporary files are renamed or removed).
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("state"))) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(SnapshotStoreTest, WritesAreCoalescedWithinTheMinimumInterval) {
  test::TempDir dir;
  test::ManualScheduler scheduler;
  SnapshotStoreOptions options;
  options.min_write_interval = std::chrono::seconds(1);
  SnapshotStore store(scheduler, dir.file("s.json"), options);
  store.put(snapshot("a.local", 1));
  EXPECT_EQ(store.stats().writes, 1u);
  store.put(snapshot("a.local", 2));
  store.put(snapshot("a.local", 3));
  EXPECT_EQ(store.stats().writes, 1u);
  scheduler.advance(std::chrono::milliseconds(999));
  EXPECT_EQ(store.stats().writes, 1u);
  scheduler.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(store.stats().writes, 2u);
  SnapshotStore reader(scheduler, dir.file("s.json"));
  EXPECT_EQ(reader.load().snapshots.namespaces.at("a.local")->version, 3);
}

TEST(SnapshotStoreTest, RetainDropsNamespacesNoLongerFollowed) {
  test::TempDir dir;
  test::ManualScheduler scheduler;
  SnapshotStoreOptions options;
  options.min_write_interval = core::Duration::zero();
  SnapshotStore store(scheduler, dir.file("s.json"), options);
  store.put(snapshot("a.local", 1));
  store.put(snapshot("b.local", 1));
  store.retain({"b.local"});
  SnapshotStore reader(scheduler, dir.file("s.json"));
  auto load = reader.load();
  EXPECT_EQ(load.snapshots.namespaces.size(), 1u);
  EXPECT_TRUE(load.snapshots.namespaces.contains("b.local"));
}

TEST(SnapshotStoreTest, AFailedWriteIsReportedAndRetried) {
  test::ManualScheduler scheduler;
  SnapshotStore store(scheduler, "/proc/ferry-no-such-dir/snapshot.json");
  store.put(snapshot("a.local", 1));
  EXPECT_EQ(store.stats().write_failures, 1u);
  std::string error;
  EXPECT_FALSE(store.flush(&error));
  EXPECT_NE(error.find("/proc/ferry-no-such-dir"), std::string::npos) << error;
  EXPECT_EQ(store.stats().write_failures, 2u);
}

TEST(SnapshotStoreTest, ADamagedFileIsRejectedWholeWithAReason) {
  test::TempDir dir;
  test::ManualScheduler scheduler;
  std::string text = SnapshotStore::encode(stored());
  text[text.size() / 2] ^= 0x20;
  test::spit(dir.file("s.json"), text);
  SnapshotStore store(scheduler, dir.file("s.json"));
  SnapshotLoad load = store.load();
  EXPECT_EQ(load.status, SnapshotLoad::Status::Rejected);
  EXPECT_TRUE(load.snapshots.namespaces.empty());
  EXPECT_NE(load.error.find("checksum"), std::string::npos) << load.error;
}

TEST(SnapshotStoreTest, ANewerFormatVersionIsRejected) {
  // A file with a correct checksum but a format this ferry does not read.
  std::string text = SnapshotStore::encode(stored());
  const std::string payload = text.substr(0, text.rfind(",\"sha256\""));
  std::string v2 = payload;
  v2.replace(v2.find("\"format_version\":1"), 18, "\"format_version\":2");
  v2 += ",\"sha256\":\"" + core::hex_encode(core::sha256(v2)) + "\"}\n";
  SnapshotLoad load = SnapshotStore::decode(v2, {});
  EXPECT_EQ(load.status, SnapshotLoad::Status::Rejected);
  EXPECT_NE(load.error.find("format_version 2"), std::string::npos) << load.error;
}

TEST(SnapshotStoreTest, ACorrectChecksumOverAnInvalidSnapshotIsStillRejected) {
  // Validation does not trust the checksum: an instance with a bad address
  // written by a buggy ferry fails like one from the wire.
  std::string text = SnapshotStore::encode(stored());
  std::string payload = text.substr(0, text.rfind(",\"sha256\""));
  payload.replace(payload.find("10.0.0.1"), 8, "10.0.0.x");
  payload += ",\"sha256\":\"" + core::hex_encode(core::sha256(payload)) + "\"}\n";
  SnapshotLoad load = SnapshotStore::decode(payload, {});
  EXPECT_EQ(load.status, SnapshotLoad::Status::Rejected);
  EXPECT_NE(load.error.find("AWS_INSTANCE_IPV4"), std::string::npos) << load.error;
}

// RELIABILITY F11 as a replay: every truncation and every single-bit flip
// of a valid file is rejected as a whole, never loaded partially, never a
// crash.
TEST(SnapshotStoreTest, EveryTruncationAndBitFlipIsRejected) {
  const std::string text = SnapshotStore::encode(stored());
  for (std::size_t n = 0; n < text.size(); ++n) {
    SnapshotLoad load = SnapshotStore::decode(std::string_view(text).substr(0, n), {});
    ASSERT_EQ(load.status, SnapshotLoad::Status::Rejected) << "truncated to " << n;
    ASSERT_TRUE(load.snapshots.namespaces.empty());
  }
  std::string flipped = text;
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      flipped[i] = static_cast<char>(text[i] ^ (1 << bit));
      SnapshotLoad load = SnapshotStore::decode(flipped, {});
      ASSERT_EQ(load.status, SnapshotLoad::Status::Rejected) << "byte " << i << " bit " << bit;
      ASSERT_TRUE(load.snapshots.namespaces.empty());
    }
    flipped[i] = text[i];
  }
}

// The committed corpus: files named ok-* load, every other file is
// rejected; every truncation of an ok-* file is rejected too. New crash or
// regression inputs are added there.
TEST(SnapshotStoreTest, CorpusReplay) {
  const std::filesystem::path corpus =
      std::filesystem::path(FERRY_DISCOVERY_CORPUS) / "snapshot_file";
  ASSERT_TRUE(std::filesystem::is_directory(corpus)) << corpus;
  int ok = 0;
  int bad = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    const std::string text = test::slurp(entry.path().string());
    const bool expect_ok = entry.path().filename().string().starts_with("ok-");
    SnapshotLoad load = SnapshotStore::decode(text, {});
    EXPECT_EQ(load.status,
              expect_ok ? SnapshotLoad::Status::Loaded : SnapshotLoad::Status::Rejected)
        << entry.path() << ": " << load.error;
    if (expect_ok) {
      ++ok;
      for (std::size_t n = 0; n < text.size(); ++n) {
        ASSERT_EQ(SnapshotStore::decode(std::string_view(text).substr(0, n), {}).status,
                  SnapshotLoad::Status::Rejected);
      }
    } else {
      ++bad;
    }
  }
  EXPECT_GE(ok, 2);
  EXPECT_GE(bad, 5);
}

}  // namespace
}  // namespace ferry::discovery
