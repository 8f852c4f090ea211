#pragma once

// Private to self_registration*.cc: the state of one instance being
// registered, and of one operation being polled.

#include <chrono>
#include <functional>
#include <string>

#include "discovery/cloud_map_messages.h"
#include "discovery/self_registration.h"

namespace ferry::discovery {

struct SelfRegistration::Slot {
  Slot(std::size_t i, InstanceSpec s, boost::asio::io_context& io, Scheduler& scheduler,
       const RegistrationOptions& options, std::size_t replicas, std::uint64_t seed)
      : index(i),
        spec(std::move(s)),
        timer(scheduler),
        probe(io),
        pacer(options.backoff, seed, replicas),
        app_backoff(options.app_backoff, seed + 1) {}

  std::size_t index;
  InstanceSpec spec;
  Phase phase = Phase::Idle;
  std::string service_id;
  bool custom_health = true;
  std::string service_token;
  std::string register_token;
  Timer timer;
  AppProbe probe;
  FailoverPacer pacer;
  Backoff app_backoff;
  RegistryClient::RequestId request = 0;
  std::uint32_t probe_failures = 0;
  filters::HealthStatus reported = filters::HealthStatus::Unknown;
  bool waiting_logged = false;
  bool sent_register = false;  // a RegisterInstance may have reached the registry
  std::string last_error;
};

// One asynchronous Cloud Map operation being polled with GetOperation.
struct SelfRegistration::Operation {
  std::string id;
  Slot* slot = nullptr;  // null: the namespace step's
  std::chrono::steady_clock::time_point deadline;
  core::Duration delay = std::chrono::milliseconds(50);
  std::function<void(const cloud_map::OperationState&)> on_success;
  std::function<void(const std::string&)> on_fail;
};

}  // namespace ferry::discovery
