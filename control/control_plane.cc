#include "control/control_plane.h"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "control/health_ttl.h"
#include "proxy/core/log.h"

namespace ferry::control {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// A timer that fires at the earliest deadline it was asked for; asking for a
// later one than already scheduled costs nothing (no cancel-and-rearm).
class DeadlineTimer {
 public:
  DeadlineTimer(asio::io_context& io, std::function<void()> on_fire)
      : timer_(io), on_fire_(std::move(on_fire)) {}

  void at(std::optional<Clock::time_point> when) {
    if (!when || stopped_ || (scheduled_ && *scheduled_ <= *when)) {
      return;
    }
    scheduled_ = *when;
    timer_.expires_at(*when);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted) {
        return;
      }
      scheduled_.reset();
      on_fire_();
    });
  }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  asio::steady_timer timer_;
  std::function<void()> on_fire_;
  std::optional<Clock::time_point> scheduled_;
  bool stopped_ = false;
};

}  // namespace

struct ControlPlane::Impl {
  Impl(asio::io_context& loop, Registry& registry_ref, Store& store_ref, ControlOptions opts,
       core::StatsRegistry& stats)
      : io(loop),
        registry(registry_ref),
        store(store_ref),
        options(std::move(opts)),
        metrics(stats),
        api(options.api, registry, store,
            [this](const std::string& s, const std::string& i) { renew(s, i); }),
        hub(registry, options.max_watchers),
        ttl(std::chrono::duration_cast<Clock::duration>(options.instance_ttl)),
        watch_timer(loop, [this] { expire_watchers(); }),
        ttl_timer(loop, [this] { expire_ttls(); }),
        purge_timer(loop, [this] { purge(); }) {}

  void on_change(const ChangeSummary& summary);
  void renew(const std::string& service_id, const std::string& instance_id);
  void expire_watchers();
  void expire_ttls();
  void purge();
  std::vector<std::string> expired_records(std::size_t limit) const;

  asio::io_context& io;
  Registry& registry;
  Store& store;
  ControlOptions options;
  ControlMetrics metrics;
  Api api;
  WatchHub hub;
  HealthTtl ttl;
  DeadlineTimer watch_timer;
  DeadlineTimer ttl_timer;
  DeadlineTimer purge_timer;
  std::map<HealthTtl::Key, Clock::time_point> last_heartbeat;  // shared renewals only
  bool draining = false;
  bool purging = false;
};

void ControlPlane::Impl::on_change(const ChangeSummary& summary) {
  hub.on_change(summary);
  metrics.set_watchers(hub.watchers());
  metrics.set_instances(registry.state().instance_count());
  if (options.instance_ttl.count() == 0) {
    return;
  }
  const auto now = Clock::now();
  for (const auto& key : summary.instances) {
    const auto* service = registry.state().find_service(key.first);
    const auto* instance = registry.state().find_instance(key.first, key.second);
    if (service != nullptr && instance != nullptr && service->service.value->custom_health &&
        instance->value->health == HealthStatus::Healthy) {
      ttl.arm(key, now);  // a registration, a HEALTHY write or a heartbeat renews
    } else {
      ttl.disarm(key);
      last_heartbeat.erase(key);
    }
  }
  ttl_timer.at(ttl.next_deadline());
}

void ControlPlane::Impl::renew(const std::string& service_id, const std::string& instance_id) {
  if (options.instance_ttl.count() == 0) {
    return;
  }
  const auto now = Clock::now();
  HealthTtl::Key key{service_id, instance_id};
  ttl.arm(key, now);
  ttl_timer.at(ttl.next_deadline());
  if (!options.shared_renewals) {
    return;
  }
  // Other replicas learn of renewals through a heartbeat record, written at
  // most every quarter TTL per instance.
  auto& last = last_heartbeat[key];
  if (now - last < options.instance_ttl / 4) {
    return;
  }
  last = now;
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  Heartbeat heartbeat{service_id, instance_id, std::chrono::duration<double>(wall).count()};
  store.submit(make_mutation("Heartbeat", heartbeat, &record_heartbeat), [](MutationResult result) {
    if (result.error) {
      FERRY_LOG_LIMITED(spdlog::level::warn, "heartbeat not recorded: {}", result.error->message);
    }
  });
}

void ControlPlane::Impl::expire_watchers() {
  hub.expire(Clock::now());
  metrics.set_watchers(hub.watchers());
  watch_timer.at(hub.next_deadline());
}

void ControlPlane::Impl::expire_ttls() {
  for (const HealthTtl::Key& key : ttl.expire(Clock::now())) {
    const auto* instance = registry.state().find_instance(key.first, key.second);
    if (instance == nullptr || instance->value->health != HealthStatus::Healthy) {
      continue;
    }
    std::optional<std::int64_t> heartbeat_revision;
    if (options.shared_renewals) {
      const auto* hb = registry.state().find_heartbeat(key.first, key.second);
      heartbeat_revision = hb == nullptr ? 0 : hb->mod_revision;
    }
    SetHealthArgs args{
        key.first,         key.second, HealthStatus::Unhealthy, Api::now(), instance->mod_revision,
        heartbeat_revision};
    spdlog::info("instance_ttl_expired service={} instance={}", key.first, key.second);
    metrics.ttl_expired();
    store.submit(make_mutation("ExpireInstanceHealth", std::move(args), &set_instance_health),
                 [key](MutationResult result) {
                   if (result.error) {
                     spdlog::warn("ttl expiry of {}/{} not written: {}", key.first, key.second,
                                  result.error->message);
                   }
                 });
  }
  ttl_timer.at(ttl.next_deadline());
}

std::vector<std::string> ControlPlane::Impl::expired_records(std::size_t limit) const {
  const RegistryState& state = registry.state();
  const double cutoff =
      Api::now() - std::chrono::duration<double>(options.operation_retention).count();
  std::vector<std::string> keys;
  for (const auto* index : {&state.operations_by_age(), &state.idempotency_by_age()}) {
    std::size_t excess =
        index->size() > options.max_operations ? index->size() - options.max_operations : 0;
    for (const auto& [created, key] : *index) {
      if (keys.size() >= limit || (created >= cutoff && excess == 0)) {
        break;
      }
      keys.push_back(key);
      excess = excess > 0 ? excess - 1 : 0;
    }
  }
  return keys;
}

void ControlPlane::Impl::purge() {
  // Bounded deletes per transaction (etcd allows 128 operations per txn).
  constexpr std::size_t kPerPurge = 100;
  std::vector<std::string> keys = expired_records(kPerPurge);
  if (keys.empty() || draining) {
    purge_timer.at(Clock::now() + options.purge_interval);
    return;
  }
  const bool more = keys.size() == kPerPurge;
  store.submit(make_mutation("Purge", std::move(keys), &purge_records),
               [this, more](MutationResult result) {
                 if (result.error) {
                   spdlog::warn("purge of old operations failed: {}", result.error->message);
                 }
                 const auto next =
                     more && !result.error ? Clock::now() : Clock::now() + options.purge_interval;
                 purge_timer.at(next);
               });
}

ControlPlane::ControlPlane(asio::io_context& loop, Registry& registry, Store& store,
                           ControlOptions options, core::StatsRegistry& stats)
    : impl_(std::make_unique<Impl>(loop, registry, store, std::move(options), stats)) {
  registry.add_listener([impl = impl_.get()](const ChangeSummary& s) { impl->on_change(s); });
}

ControlPlane::~ControlPlane() = default;

void ControlPlane::start() {
  Impl& d = *impl_;
  ChangeSummary all;
  for (const auto& [id, service] : d.registry.state().services()) {
    for (const auto& [instance, entry] : service.instances) {
      all.instances.emplace(id, instance);
    }
  }
  d.on_change(all);
  d.purge_timer.at(Clock::now() + d.options.purge_interval);
}

void ControlPlane::handle_api(std::string_view action, std::string_view body,
                              const AuthContext& auth, Api::Done done) {
  const auto start = Clock::now();
  const std::string label = Api::is_known_action(action) ? std::string(action) : "unknown";
  impl_->api.handle(action, body, auth,
                    [impl = impl_.get(), label, start, done = std::move(done)](ApiReply reply) {
                      const auto elapsed = Clock::now() - start;
                      impl->metrics.api_call(
                          label, reply.error_code.empty() ? "success" : reply.error_code, elapsed);
                      if (reply.status >= 500) {
                        FERRY_LOG_LIMITED(spdlog::level::warn, "api action={} status={} error={}",
                                          label, reply.status, reply.error_code);
                      }
                      done(std::move(reply));
                    });
}

void ControlPlane::count_refused(std::string_view action, std::string_view code,
                                 std::chrono::nanoseconds duration) {
  impl_->metrics.api_call(Api::is_known_action(action) ? action : "unknown", code, duration);
}

std::uint64_t ControlPlane::watch(std::string_view namespace_name, std::string_view epoch,
                                  std::optional<std::int64_t> version,
                                  std::chrono::nanoseconds timeout, WatchHub::Responder responder) {
  Impl& d = *impl_;
  if (d.draining) {
    responder({503, std::make_shared<const std::string>(
                        store_unavailable("ferry-control is shutting down.").body())});
    return 0;
  }
  const auto deadline = Clock::now() + timeout;
  auto counted = [impl = impl_.get(), responder = std::move(responder)](WatchHub::Reply reply) {
    impl->metrics.watch_answered(reply.status);
    responder(std::move(reply));
  };
  const std::uint64_t id = d.hub.watch(namespace_name, epoch, version, deadline, counted);
  if (id != 0) {
    d.metrics.set_watchers(d.hub.watchers());
    d.watch_timer.at(deadline);
  }
  return id;
}

void ControlPlane::cancel_watch(std::uint64_t id) {
  impl_->hub.cancel(id);
  impl_->metrics.set_watchers(impl_->hub.watchers());
}

bool ControlPlane::ready() const {
  return !impl_->draining && impl_->store.ready();
}

void ControlPlane::drain() {
  Impl& d = *impl_;
  d.draining = true;
  d.hub.close_all({503, std::make_shared<const std::string>(
                            store_unavailable("ferry-control is shutting down.").body())});
  d.metrics.set_watchers(0);
  d.watch_timer.stop();
  d.ttl_timer.stop();
  d.purge_timer.stop();
}

ControlMetrics& ControlPlane::metrics() {
  return impl_->metrics;
}

}  // namespace ferry::control
