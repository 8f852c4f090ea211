#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "discovery/namespace_snapshot.h"
#include "discovery/scheduler.h"

namespace ferry::discovery {

struct SnapshotStoreOptions {
  SnapshotLimits limits;  // per namespace, as for a snapshot from the wire
  std::size_t max_file_bytes = 64 * core::kMiB;
  // Writes are at most this often; changes in between are coalesced into
  // the next write (a flapping health check does not fsync per change).
  core::Duration min_write_interval = std::chrono::seconds(1);
};

// The namespaces of one snapshot file.
struct StoredSnapshots {
  std::chrono::system_clock::time_point saved_at{};
  std::map<std::string, std::shared_ptr<const NamespaceSnapshot>, std::less<>> namespaces;
};

struct SnapshotLoad {
  enum class Status {
    Loaded,    // `snapshots` holds every namespace of the file
    Missing,   // no file: a first start
    Rejected,  // unreadable or damaged: nothing is used; `error` says why
  };
  Status status = Status::Missing;
  StoredSnapshots snapshots;
  std::string error;
};

// The last good snapshot of every followed namespace, in one file at
// control_plane.snapshot_path, so a sidecar restarted while ferry-control is
// unreachable comes back with the endpoints it had (RELIABILITY FT-02).
//
// File format (README.md, "Snapshot file"): one line of JSON,
//   {"format":"ferry.discovery.snapshot","format_version":1,
//    "saved_at":<epoch seconds>,"namespaces":[<watch API snapshot>...],
//    "sha256":"<hex>"}
// where sha256 covers every byte before `,"sha256":`. Loading checks the
// checksum first, then the format and version, then validates each
// namespace exactly as a snapshot from the wire; any failure rejects the
// whole file (never a partial endpoint set). Writes are atomic
// (write_file_atomically).
//
// Main thread only; disk I/O is synchronous (a file of a few hundred KiB).
class SnapshotStore {
 public:
  static constexpr std::string_view kFormat = "ferry.discovery.snapshot";
  static constexpr std::int64_t kFormatVersion = 1;

  struct Stats {
    std::uint64_t writes = 0;
    std::uint64_t write_failures = 0;
  };

  SnapshotStore(Scheduler& scheduler, std::string path, SnapshotStoreOptions options = {});
  // Writes what is pending (a last chance at shutdown).
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Reads and validates the file; a Rejected file is logged with its reason.
  // Start-up, before any put(). The loaded namespaces also become the
  // store's content (a later put() of one namespace keeps the others).
  SnapshotLoad load();

  // Records the namespace's new last good snapshot and schedules a write
  // (at once if the last one is min_write_interval old).
  void put(std::shared_ptr<const NamespaceSnapshot> snapshot);
  // Drops namespaces not in `names` (no longer followed) from the file.
  void retain(const std::set<std::string, std::less<>>& names);
  // Writes now if anything changed since the last write. False (with
  // `error`) when the write failed; the content stays pending and the next
  // put() or flush() tries again.
  bool flush(std::string* error = nullptr);

  const std::string& path() const { return path_; }
  const Stats& stats() const { return stats_; }

  // The file's bytes for `snapshots`, and the reverse. Pure; the corpus
  // tests (RELIABILITY F11) drive decode() directly.
  static std::string encode(const StoredSnapshots& snapshots);
  static SnapshotLoad decode(std::string_view text, const SnapshotStoreOptions& options);

 private:
  void schedule_write();

  Scheduler& scheduler_;
  const std::string path_;
  const SnapshotStoreOptions options_;
  StoredSnapshots content_;
  bool dirty_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_write_;
  Timer write_timer_;
  Stats stats_;
};

}  // namespace ferry::discovery
