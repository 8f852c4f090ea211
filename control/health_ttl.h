#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ferry::control {

// --instance-ttl bookkeeping: instances of services with custom health whose
// status is HEALTHY, each with a deadline that every renewal (a registration,
// an UpdateInstanceCustomHealthStatus, or with etcd a heartbeat another
// replica recorded) pushes back. Renewals touch only this map: they are not
// durable writes. After a restart every instance is armed afresh, so a
// restart never expires them all at once.
//
// Pure bookkeeping on the loop thread; the control plane's timer calls
// expire() at next_deadline() and turns what expired into UNHEALTHY writes.
class HealthTtl {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::pair<std::string, std::string>;  // (service id, instance id)

  explicit HealthTtl(Clock::duration ttl) : ttl_(ttl) {}

  // (Re)starts the countdown of `key` from `now`.
  void arm(const Key& key, Clock::time_point now);
  void disarm(const Key& key);
  bool armed(const Key& key) const { return deadlines_.count(key) != 0; }
  // Removes and returns every key whose deadline is not after `now`.
  std::vector<Key> expire(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;
  std::size_t size() const { return deadlines_.size(); }
  Clock::duration ttl() const { return ttl_; }

 private:
  Clock::duration ttl_;
  std::map<Key, Clock::time_point> deadlines_;
  std::set<std::pair<Clock::time_point, Key>> by_deadline_;
};

}  // namespace ferry::control
