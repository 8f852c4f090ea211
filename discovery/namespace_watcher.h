#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "discovery/backoff.h"
#include "discovery/namespace_snapshot.h"
#include "discovery/registry_client.h"
#include "discovery/scheduler.h"

namespace ferry::discovery {

struct WatcherOptions {
  // After a failed watch (no answer, 5xx, 403...): capped, jittered, and a
  // failover to the next replica comes first (FailoverPacer).
  core::Backoff backoff{std::chrono::milliseconds(250), std::chrono::seconds(30)};
  // The namespace does not exist (404): asked again after a random time in
  // [t/2, t] (a serving sidecar may create it any moment).
  core::Duration absent_namespace_retry = std::chrono::seconds(5);
  SnapshotLimits limits;
};

struct WatcherStats {
  std::uint64_t accepted = 0;           // snapshots that replaced the held one
  std::uint64_t rejected = 0;           // failed validation (the held one stays)
  std::uint64_t stale = 0;              // older than the held one (a lagging replica)
  std::uint64_t unchanged = 0;          // 304s, and 200s with the held version
  std::uint64_t failures = 0;           // watches without a usable answer
  std::uint64_t namespace_missing = 0;  // 404 NamespaceNotFound
};

// Follows one namespace through ferry-control's watch API and holds the last
// good snapshot.
//
// The loop: the first watch after start() or after a failure carries no
// version, so a replica that answers proves at once that it is reachable and
// what it holds; later watches carry the version seen last and are parked by
// the server until the namespace moves (200) or the timeout (304). A 200 is
// validated (parse_snapshot) and, if good and newer, replaces the held
// snapshot and is handed to on_snapshot; a bad one is counted, reported to
// on_rejected, and the held one stays. Failures back off with jitter and fail
// over between replicas; the held snapshot keeps being served meanwhile
// (static stability).
//
// Main thread only (the RegistryClient's and the Scheduler's); callbacks run
// there and may call any method except the destructor. The client and the
// scheduler outlive the watcher.
class NamespaceWatcher {
 public:
  using SnapshotCallback = std::function<void(const std::shared_ptr<const NamespaceSnapshot>&)>;
  using RejectCallback = std::function<void(const std::string& reason)>;
  using ConnectionCallback = std::function<void(bool connected)>;

  NamespaceWatcher(RegistryClient& client, Scheduler& scheduler, std::string namespace_name,
                   WatcherOptions options, std::uint64_t seed);
  ~NamespaceWatcher();
  NamespaceWatcher(const NamespaceWatcher&) = delete;
  NamespaceWatcher& operator=(const NamespaceWatcher&) = delete;

  void on_snapshot(SnapshotCallback callback) { on_snapshot_ = std::move(callback); }
  void on_rejected(RejectCallback callback) { on_rejected_ = std::move(callback); }
  void on_connection(ConnectionCallback callback) { on_connection_ = std::move(callback); }

  // Before start(): a snapshot from disk, known current at `confirmed_at`
  // (when it was saved). It is held and served; it is not passed to
  // on_snapshot (the caller has it).
  void seed(std::shared_ptr<const NamespaceSnapshot> snapshot,
            std::chrono::system_clock::time_point confirmed_at);

  void start();
  // Cancels the watch in flight and any retry; start() resumes.
  void stop();

  const std::string& namespace_name() const { return namespace_name_; }
  // The last watch got an answer from a replica (200, 304 or 404).
  bool connected() const { return connected_; }
  // The held snapshot; null until the first good one (or the seed).
  const std::shared_ptr<const NamespaceSnapshot>& snapshot() const { return snapshot_; }
  // The registry's last word was that the namespace does not exist (404).
  bool namespace_absent() const { return namespace_absent_; }
  // The watcher knows the registry's view: a snapshot, or "no such
  // namespace" (an empty view, which a service registering later fills).
  bool has_view() const { return snapshot_ != nullptr || namespace_absent_; }
  // When the held snapshot was last known to be the registry's current one
  // (wall clock); nullopt without a snapshot.
  std::optional<std::chrono::system_clock::time_point> confirmed_at() const {
    return confirmed_at_;
  }
  // ferry_snapshot_age_seconds: 0 while connected with the registry's current
  // snapshot (a parked watch answers every change at once); otherwise the
  // seconds since confirmed_at(). nullopt without a snapshot.
  std::optional<double> snapshot_age_seconds() const;
  const WatcherStats& stats() const { return stats_; }

 private:
  void issue();
  void on_reply(RegistryReply reply);
  void on_snapshot_text(const std::string& body);
  void retry_after(core::Duration delay);
  void set_connected(bool connected, const std::string& why);

  RegistryClient& client_;
  Scheduler& scheduler_;
  const std::string namespace_name_;
  const WatcherOptions options_;
  FailoverPacer pacer_;
  filters::Prng prng_;
  Timer retry_;
  RegistryClient::RequestId request_ = 0;
  bool started_ = false;
  bool connected_ = false;
  // The held snapshot is the newest the registry has (false after a failure
  // or a rejection, until an answer confirms it again).
  bool current_ = false;
  bool missing_logged_ = false;
  bool namespace_absent_ = false;
  // What the next watch tells the server it has seen.
  std::optional<SnapshotMarker> marker_;
  std::shared_ptr<const NamespaceSnapshot> snapshot_;
  std::optional<std::chrono::system_clock::time_point> confirmed_at_;
  WatcherStats stats_;
  SnapshotCallback on_snapshot_;
  RejectCallback on_rejected_;
  ConnectionCallback on_connection_;
};

}  // namespace ferry::discovery
