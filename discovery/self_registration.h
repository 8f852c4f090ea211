#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "discovery/app_probe.h"
#include "discovery/backoff.h"
#include "discovery/registry_client.h"
#include "discovery/scheduler.h"
#include "filters/host.h"
#include "proxy/core/address.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::discovery {

// One instance this task registers: one per service_connect service.
struct InstanceSpec {
  std::string service;  // the Cloud Map service name (discoveryName)
  std::string instance_id;
  core::SocketAddress app;                        // where the application listens (127.0.0.1:port)
  std::map<std::string, std::string> attributes;  // AWS_INSTANCE_* and ferry.*
};

struct RegistrationOptions {
  std::string namespace_name;
  // Custom health is renewed this often (each time jittered down by up to
  // 20%, so sidecars spread their heartbeats).
  core::Duration heartbeat_interval = std::chrono::seconds(5);
  // Between failed registry steps (after a failover round).
  core::Backoff backoff{std::chrono::milliseconds(250), std::chrono::seconds(30)};
  // Between connects to an application that does not answer yet.
  core::Backoff app_backoff{std::chrono::milliseconds(100), std::chrono::seconds(5)};
  core::Duration app_connect_timeout = std::chrono::seconds(1);
  // Consecutive failed connects to the application (at heartbeats) before
  // the instance is reported UNHEALTHY; one success reports HEALTHY again.
  std::uint32_t app_unhealthy_threshold = 2;
  // GetOperation polling: from 50 ms, doubling to 1 s; an operation still
  // pending after operation_timeout is given up and the step retried.
  core::Duration operation_timeout = std::chrono::seconds(60);
  // deregister() reports done after this even without answers.
  core::Duration deregister_timeout = std::chrono::seconds(2);

  static RegistrationOptions from_config(const core::ControlPlaneConfig& control_plane,
                                         const core::ServiceConnectConfig& service_connect);
};

// Registers this task's services in the registry and keeps them registered
// (DESIGN.md, "Self-registration").
//
// For the namespace, then for each instance independently:
//   1. namespace: ListNamespaces; absent -> CreateHttpNamespace (one
//      idempotency token per attempt sequence, so a retry after a lost answer
//      cannot create twice) and GetOperation until SUCCESS;
//      NamespaceAlreadyExists (a peer won the race) -> its NamespaceId;
//   2. service: ListServices (paged); absent -> CreateService with
//      HealthCheckCustomConfig; ServiceAlreadyExists -> its ServiceId;
//   3. the application: TCP connects to InstanceSpec::app with backoff until
//      one succeeds, so no traffic reaches a task before its application is up;
//   4. RegisterInstance (+ GetOperation), then UpdateInstanceCustomHealthStatus
//      HEALTHY at once and every heartbeat_interval (after a connect to the
//      application: UNHEALTHY after app_unhealthy_threshold failures);
//      InstanceNotFound at a heartbeat (the registry lost it) -> step 4 again,
//      ServiceNotFound -> step 2, NamespaceNotFound -> step 1.
// Failed steps are retried forever (failover between replicas, then capped
// jittered backoff): a sidecar started before ferry-control registers once it
// is up.
//
// Main thread only; the client, the scheduler and the io_context outlive it.
class SelfRegistration {
 public:
  enum class Phase {
    Idle,
    Namespace,      // finding or creating the namespace
    Service,        // finding or creating the service
    WaitingForApp,  // the application does not answer yet
    Registering,    // RegisterInstance sent or its operation pending
    Registered,     // heartbeating
    Deregistered,   // deregister() was called
  };

  struct Stats {
    std::uint64_t registrations = 0;  // RegisterInstance operations that succeeded
    std::uint64_t heartbeats = 0;     // health updates answered 2xx
    std::uint64_t heartbeat_failures = 0;
    std::uint64_t step_failures = 0;  // failed namespace/service/register steps
    std::uint64_t app_probe_failures = 0;
  };

  SelfRegistration(boost::asio::io_context& io, RegistryClient& client, Scheduler& scheduler,
                   RegistrationOptions options, std::vector<InstanceSpec> instances,
                   std::uint64_t seed);
  ~SelfRegistration();
  SelfRegistration(const SelfRegistration&) = delete;
  SelfRegistration& operator=(const SelfRegistration&) = delete;

  // Starts step 1. Once.
  void start();

  // Draining: stops every step and heartbeat, and sends DeregisterInstance
  // for every instance that may be registered (one attempt per replica, no
  // backoff). `done` runs once, on the loop (never inside this call), when
  // every one was answered or after deregister_timeout, whichever is first.
  // Later calls only run their `done`.
  void deregister(std::function<void()> done);

  Phase phase(std::size_t instance) const;
  // Every instance is Registered.
  bool registered() const;
  const std::string& namespace_id() const { return namespace_id_; }
  // The health last reported for an instance (Unknown before the first).
  filters::HealthStatus reported_health(std::size_t instance) const;
  const Stats& stats() const { return stats_; }

  // Called with the instance index each time it becomes Registered.
  void on_registered(std::function<void(std::size_t)> callback) {
    on_registered_ = std::move(callback);
  }

 private:
  struct Slot;
  struct Operation;

  void find_namespace();
  void create_namespace();
  void namespace_ready(std::string id);
  void find_service(Slot& slot, std::string next_token);
  void create_service(Slot& slot);
  void wait_for_app(Slot& slot);
  void register_instance(Slot& slot);
  void registered(Slot& slot);
  void heartbeat(Slot& slot);
  void send_health(Slot& slot, bool healthy);
  void schedule_heartbeat(Slot& slot);
  void poll_operation(std::shared_ptr<Operation> op);
  void namespace_failed(const RegistryReply& reply, const char* step);
  void restart_namespace(Slot& slot);
  void slot_failed(Slot& slot, const RegistryReply& reply, const char* step,
                   std::function<void(Slot&)> retry);
  void finish_deregister();

  boost::asio::io_context& io_;
  RegistryClient& client_;
  Scheduler& scheduler_;
  const RegistrationOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  FailoverPacer namespace_pacer_;
  filters::Prng prng_;
  Timer namespace_timer_;
  RegistryClient::RequestId namespace_request_ = 0;
  std::string namespace_token_;
  std::string namespace_id_;
  bool started_ = false;
  bool deregistering_ = false;
  std::size_t deregistrations_pending_ = 0;
  std::vector<std::function<void()>> deregister_done_;
  Timer deregister_deadline_;
  std::vector<RegistryClient::RequestId> deregister_requests_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Stats stats_;
  std::function<void(std::size_t)> on_registered_;
};

// The instance id of this task for one service: FERRY_INSTANCE_ID when set
// (checked against Cloud Map's pattern), else "<advertised IP>:<ingress
// port>", unique per endpoint by construction and stable across a restart
// on the same address and port (a restarted task replaces its own record).
std::string default_instance_id(const std::string& env_override, const std::string& advertise_ip,
                                std::uint16_t ingress_port);

// The address peers reach this task at: service_connect.advertise_address,
// else the first IPv4 address of an interface that is up and not loopback,
// else 127.0.0.1 (a single-host setup; logged).
std::string advertise_ip(const core::ServiceConnectConfig& config);

// The InstanceSpecs of a task: one per service_connect service, in config
// order, `ingress_ports[i]` being the bound port of service i's ingress
// listener. Attributes: AWS_INSTANCE_IPV4 (or _IPV6), AWS_INSTANCE_PORT, the
// ferry.* ones (service_attributes.h), and FERRY_INSTANCE_ATTRIBUTES
// ("key=value,key=value", e.g. "AvailabilityZone=us-east-1a") for
// optional_parameters. Throws std::invalid_argument on a bad
// FERRY_INSTANCE_ID / FERRY_INSTANCE_ATTRIBUTES or aliases too long
// (start-up). `getenv` defaults to ::getenv.
std::vector<InstanceSpec> instance_specs(
    const core::ServiceConnectConfig& config, const std::vector<std::uint16_t>& ingress_ports,
    const std::string& advertise, const std::function<const char*(const char*)>& getenv = {});

}  // namespace ferry::discovery
