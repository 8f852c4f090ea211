#include "discovery/namespace_watcher.h"

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>

namespace ferry::discovery {

NamespaceWatcher::NamespaceWatcher(RegistryClient& client, Scheduler& scheduler,
                                   std::string namespace_name, WatcherOptions options,
                                   std::uint64_t seed)
    : client_(client),
      scheduler_(scheduler),
      namespace_name_(std::move(namespace_name)),
      options_(std::move(options)),
      pacer_(options_.backoff, seed, client.replica_count()),
      prng_(seed ^ 0x9e3779b97f4a7c15ULL),
      retry_(scheduler) {}

NamespaceWatcher::~NamespaceWatcher() {
  stop();
}

void NamespaceWatcher::seed(std::shared_ptr<const NamespaceSnapshot> snapshot,
                            std::chrono::system_clock::time_point confirmed_at) {
  snapshot_ = std::move(snapshot);
  confirmed_at_ = snapshot_ ? std::optional(confirmed_at) : std::nullopt;
  current_ = false;
}

void NamespaceWatcher::start() {
  if (started_) {
    return;
  }
  started_ = true;
  issue();
}

void NamespaceWatcher::stop() {
  started_ = false;
  retry_.cancel();
  if (request_ != 0) {
    client_.cancel(request_);
    request_ = 0;
  }
}

std::optional<double> NamespaceWatcher::snapshot_age_seconds() const {
  if (!snapshot_ || !confirmed_at_) {
    return std::nullopt;
  }
  if (connected_ && current_) {
    return 0.0;
  }
  const auto age = scheduler_.wall_now() - *confirmed_at_;
  return std::max(0.0, std::chrono::duration<double>(age).count());
}

void NamespaceWatcher::issue() {
  if (!started_ || request_ != 0) {
    return;
  }
  // Only a connected watcher names a version: the first answer from a
  // replica then comes at once (see the class comment).
  const bool named = connected_ && marker_.has_value();
  request_ = client_.watch(namespace_name_, named ? std::string_view(marker_->epoch) : "",
                           named ? std::optional(marker_->version) : std::nullopt,
                           [this](RegistryReply reply) {
                             request_ = 0;
                             on_reply(std::move(reply));
                           });
}

void NamespaceWatcher::retry_after(core::Duration delay) {
  retry_.start(delay, [this] { issue(); });
}

void NamespaceWatcher::set_connected(bool connected, const std::string& why) {
  if (connected == connected_) {
    return;
  }
  connected_ = connected;
  if (connected) {
    spdlog::info("discovery: namespace {}: following the registry at {}", namespace_name_,
                 client_.current_replica());
  } else {
    spdlog::warn("discovery: namespace {}: lost the registry ({}); serving the last snapshot{}",
                 namespace_name_, why, snapshot_ ? "" : " (none yet)");
  }
  if (on_connection_) {
    on_connection_(connected);
  }
}

void NamespaceWatcher::on_reply(RegistryReply reply) {
  if (reply.transport == boost::asio::error::operation_aborted && !started_) {
    return;
  }
  if (reply.status == 200 && !reply.transport) {
    pacer_.on_success();
    set_connected(true, {});
    missing_logged_ = false;
    namespace_absent_ = false;
    return on_snapshot_text(reply.body);
  }
  if (reply.status == 304 && !reply.transport) {
    pacer_.on_success();
    set_connected(true, {});
    ++stats_.unchanged;
    if (snapshot_ && marker_ && marker_->epoch == snapshot_->epoch &&
        marker_->version == snapshot_->version) {
      current_ = true;
      confirmed_at_ = scheduler_.wall_now();
    }
    return issue();
  }
  if (reply.status == 404 && reply.error_type == "NamespaceNotFound") {
    pacer_.on_success();
    set_connected(true, {});
    ++stats_.namespace_missing;
    namespace_absent_ = true;
    if (!missing_logged_) {
      missing_logged_ = true;
      spdlog::info("discovery: namespace {} does not exist (yet); asking again every {}",
                   namespace_name_, core::format_duration(options_.absent_namespace_retry));
    }
    const auto t = static_cast<std::uint64_t>(options_.absent_namespace_retry.count());
    return retry_after(
        core::Duration(static_cast<core::Duration::rep>(t / 2 + prng_.uniform(t / 2 + 1))));
  }
  ++stats_.failures;
  current_ = false;
  const std::string why = reply.describe();
  if (!connected_) {
    spdlog::debug("discovery: namespace {}: watch failed: {}", namespace_name_, why);
  }
  set_connected(false, why);
  retry_after(pacer_.on_failure());
}

void NamespaceWatcher::on_snapshot_text(const std::string& body) {
  SnapshotParse parsed = parse_snapshot(body, options_.limits, namespace_name_);
  if (!parsed.snapshot) {
    ++stats_.rejected;
    current_ = false;
    spdlog::error("discovery: namespace {}: rejected a snapshot from {}: {}; keeping version {}",
                  namespace_name_, client_.current_replica(), parsed.error,
                  snapshot_ ? std::to_string(snapshot_->version) : std::string("(none)"));
    if (on_rejected_) {
      on_rejected_(parsed.error);
    }
    // Wait for the next version rather than fetching the same bad one again;
    // without a readable version, back off.
    if (auto marker = peek_marker(body, options_.limits)) {
      marker_ = std::move(marker);
      return issue();
    }
    return retry_after(pacer_.on_failure());
  }
  NamespaceSnapshot& next = *parsed.snapshot;
  marker_ = SnapshotMarker{next.epoch, next.version};
  if (snapshot_ && snapshot_->epoch == next.epoch) {
    if (next.version < snapshot_->version) {
      // A replica behind the one we heard from before; wait for it to move.
      ++stats_.stale;
      spdlog::info("discovery: namespace {}: {} has version {}, older than the held {}",
                   namespace_name_, client_.current_replica(), next.version, snapshot_->version);
      return issue();
    }
    if (next.version == snapshot_->version) {
      ++stats_.unchanged;
      current_ = true;
      confirmed_at_ = scheduler_.wall_now();
      return issue();
    }
  }
  ++stats_.accepted;
  current_ = true;
  confirmed_at_ = scheduler_.wall_now();
  snapshot_ = std::make_shared<const NamespaceSnapshot>(std::move(next));
  spdlog::debug("discovery: namespace {}: version {} ({} services, {} instances)", namespace_name_,
                snapshot_->version, snapshot_->services.size(), snapshot_->instance_count());
  // The callback may stop() this watcher; issue() then does nothing.
  auto held = snapshot_;
  if (on_snapshot_) {
    on_snapshot_(held);
  }
  issue();
}

}  // namespace ferry::discovery
