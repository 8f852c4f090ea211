#include "discovery/self_registration.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "proxy/core/log.h"

#include "discovery/cloud_map_messages.h"
#include "discovery/self_registration_slot.h"

namespace ferry::discovery {

namespace {
constexpr core::Duration kMaxPollDelay = std::chrono::seconds(1);
}  // namespace

SelfRegistration::SelfRegistration(boost::asio::io_context& io, RegistryClient& client,
                                   Scheduler& scheduler, RegistrationOptions options,
                                   std::vector<InstanceSpec> instances, std::uint64_t seed)
    : io_(io),
      client_(client),
      scheduler_(scheduler),
      options_(std::move(options)),
      namespace_pacer_(options_.backoff, seed, client.replica_count()),
      prng_(seed + 7),
      namespace_timer_(scheduler),
      deregister_deadline_(scheduler) {
  for (std::size_t i = 0; i < instances.size(); ++i) {
    slots_.push_back(std::make_unique<Slot>(i, std::move(instances[i]), io_, scheduler_, options_,
                                            client.replica_count(), seed + 16 * (i + 1)));
  }
}

SelfRegistration::~SelfRegistration() {
  client_.cancel(namespace_request_);
  for (auto& slot : slots_) {
    client_.cancel(slot->request);
  }
  for (auto id : deregister_requests_) {
    client_.cancel(id);
  }
}

void SelfRegistration::start() {
  if (started_ || deregistering_) {
    return;
  }
  started_ = true;
  find_namespace();
}

SelfRegistration::Phase SelfRegistration::phase(std::size_t instance) const {
  return slots_.at(instance)->phase;
}

bool SelfRegistration::registered() const {
  return std::all_of(slots_.begin(), slots_.end(),
                     [](const auto& s) { return s->phase == Phase::Registered; });
}

filters::HealthStatus SelfRegistration::reported_health(std::size_t instance) const {
  return slots_.at(instance)->reported;
}

// --- namespace ---

void SelfRegistration::find_namespace() {
  for (auto& slot : slots_) {
    slot->phase = Phase::Namespace;
  }
  namespace_request_ = client_.send(
      "ListNamespaces", cloud_map::list_namespaces(options_.namespace_name),
      [this](RegistryReply reply) {
        namespace_request_ = 0;
        if (!reply.ok()) {
          return namespace_failed(reply, "ListNamespaces");
        }
        if (auto id = cloud_map::find_namespace_id(reply.body, options_.namespace_name)) {
          return namespace_ready(*id);
        }
        create_namespace();
      });
}

void SelfRegistration::create_namespace() {
  if (namespace_token_.empty()) {
    namespace_token_ = cloud_map::new_token();
  }
  namespace_request_ = client_.send(
      "CreateHttpNamespace",
      cloud_map::create_http_namespace(options_.namespace_name, namespace_token_),
      [this](RegistryReply reply) {
        namespace_request_ = 0;
        if (reply.error_type == "NamespaceAlreadyExists") {
          namespace_token_.clear();
          if (auto id = cloud_map::error_member(reply.body, "NamespaceId")) {
            return namespace_ready(*id);
          }
          return find_namespace();
        }
        auto op_id = reply.ok() ? cloud_map::operation_id(reply.body) : std::nullopt;
        if (!op_id) {
          if (reply.error_type == "DuplicateRequest") {
            namespace_token_.clear();
          }
          return namespace_failed(reply, "CreateHttpNamespace");
        }
        auto op = std::make_shared<Operation>();
        op->id = *op_id;
        op->deadline = scheduler_.now() + options_.operation_timeout;
        op->on_success = [this](const cloud_map::OperationState& state) {
          namespace_token_.clear();
          auto it = state.targets.find("NAMESPACE");
          if (it == state.targets.end()) {
            return find_namespace();
          }
          spdlog::info("discovery: created namespace {} ({})", options_.namespace_name, it->second);
          namespace_ready(it->second);
        };
        op->on_fail = [this](const std::string& error) {
          namespace_token_.clear();
          RegistryReply failed;
          failed.error_type = "OperationFailed";
          failed.error_message = error;
          namespace_failed(failed, "CreateHttpNamespace");
        };
        poll_operation(std::move(op));
      });
}

void SelfRegistration::namespace_ready(std::string id) {
  namespace_id_ = std::move(id);
  namespace_pacer_.on_success();
  for (auto& slot : slots_) {
    if (slot->phase == Phase::Namespace) {
      find_service(*slot, {});
    }
  }
}

void SelfRegistration::namespace_failed(const RegistryReply& reply, const char* step) {
  ++stats_.step_failures;
  const core::Duration delay = namespace_pacer_.on_failure();
  spdlog::warn("discovery: {} for namespace {} failed ({}); again in {}", step,
               options_.namespace_name, reply.describe(), core::format_duration(delay));
  namespace_timer_.start(delay, [this] { find_namespace(); });
}

void SelfRegistration::restart_namespace(Slot& slot) {
  slot.phase = Phase::Namespace;
  // Once for all slots: the others join when it is found again.
  if (!namespace_id_.empty() && namespace_request_ == 0 && !namespace_timer_.pending()) {
    namespace_id_.clear();
    find_namespace();
  }
}

// --- service ---

void SelfRegistration::find_service(Slot& slot, std::string next_token) {
  slot.phase = Phase::Service;
  slot.request = client_.send(
      "ListServices", cloud_map::list_services(namespace_id_, next_token),
      [this, &slot](RegistryReply reply) {
        slot.request = 0;
        if (reply.error_type == "NamespaceNotFound") {
          return restart_namespace(slot);
        }
        auto page =
            reply.ok() ? cloud_map::read_service_page(reply.body, slot.spec.service) : std::nullopt;
        if (!page) {
          return slot_failed(slot, reply, "ListServices", [this](Slot& s) { find_service(s, {}); });
        }
        if (page->found) {
          slot.service_id = page->found->id;
          slot.custom_health = page->found->custom_health;
          if (!slot.custom_health) {
            spdlog::warn(
                "discovery: service {} has no HealthCheckCustomConfig; its instances are "
                "registered without health",
                slot.spec.service);
          }
          slot.pacer.on_success();
          return wait_for_app(slot);
        }
        if (!page->next_token.empty()) {
          return find_service(slot, page->next_token);
        }
        create_service(slot);
      });
}

void SelfRegistration::create_service(Slot& slot) {
  if (slot.service_token.empty()) {
    slot.service_token = cloud_map::new_token();
  }
  slot.request = client_.send(
      "CreateService",
      cloud_map::create_service(slot.spec.service, namespace_id_, slot.service_token),
      [this, &slot](RegistryReply reply) {
        slot.request = 0;
        if (reply.error_type == "ServiceAlreadyExists") {
          slot.service_token.clear();
          return find_service(slot, {});
        }
        if (reply.error_type == "NamespaceNotFound") {
          return restart_namespace(slot);
        }
        auto id = reply.ok() ? cloud_map::created_service_id(reply.body) : std::nullopt;
        if (!id) {
          if (reply.error_type == "DuplicateRequest") {
            slot.service_token.clear();
          }
          return slot_failed(slot, reply, "CreateService",
                             [this](Slot& s) { find_service(s, {}); });
        }
        spdlog::info("discovery: created service {} ({}) in {}", slot.spec.service, *id,
                     options_.namespace_name);
        slot.service_token.clear();
        slot.service_id = *id;
        slot.custom_health = true;
        slot.pacer.on_success();
        wait_for_app(slot);
      });
}

// --- the application, then the instance ---

void SelfRegistration::wait_for_app(Slot& slot) {
  slot.phase = Phase::WaitingForApp;
  slot.probe.probe(
      slot.spec.app, options_.app_connect_timeout, [this, &slot](boost::system::error_code ec) {
        if (!ec) {
          slot.app_backoff.reset();
          slot.waiting_logged = false;
          return register_instance(slot);
        }
        ++stats_.app_probe_failures;
        if (!slot.waiting_logged) {
          slot.waiting_logged = true;
          spdlog::info(
              "discovery: waiting for the application of {} on {} ({}) before "
              "registering",
              slot.spec.service, slot.spec.app.to_string(), ec.message());
        }
        slot.timer.start(slot.app_backoff.next(), [this, &slot] { wait_for_app(slot); });
      });
}

void SelfRegistration::register_instance(Slot& slot) {
  slot.phase = Phase::Registering;
  if (slot.register_token.empty()) {
    slot.register_token = cloud_map::new_token();
  }
  slot.sent_register = true;
  slot.request = client_.send(
      "RegisterInstance",
      cloud_map::register_instance(slot.service_id, slot.spec.instance_id, slot.register_token,
                                   slot.spec.attributes),
      [this, &slot](RegistryReply reply) {
        slot.request = 0;
        if (reply.error_type == "ServiceNotFound") {
          slot.service_id.clear();
          return slot_failed(slot, reply, "RegisterInstance",
                             [this](Slot& s) { find_service(s, {}); });
        }
        auto op_id = reply.ok() ? cloud_map::operation_id(reply.body) : std::nullopt;
        if (!op_id) {
          if (reply.error_type == "DuplicateRequest") {
            slot.register_token.clear();
          }
          return slot_failed(slot, reply, "RegisterInstance",
                             [this](Slot& s) { register_instance(s); });
        }
        auto op = std::make_shared<Operation>();
        op->id = *op_id;
        op->slot = &slot;
        op->deadline = scheduler_.now() + options_.operation_timeout;
        op->on_success = [this, &slot](const cloud_map::OperationState&) {
          registered(slot);
        };
        op->on_fail = [this, &slot](const std::string& error) {
          slot.register_token.clear();
          RegistryReply failed;
          failed.error_type = "OperationFailed";
          failed.error_message = error;
          slot_failed(slot, failed, "RegisterInstance", [this](Slot& s) { register_instance(s); });
        };
        poll_operation(std::move(op));
      });
}

void SelfRegistration::registered(Slot& slot) {
  slot.phase = Phase::Registered;
  slot.register_token.clear();
  slot.last_error.clear();
  slot.pacer.on_success();
  slot.probe_failures = 0;
  ++stats_.registrations;
  spdlog::info("discovery: registered {} as {} in {} ({})", slot.spec.instance_id,
               slot.spec.service, options_.namespace_name,
               slot.spec.attributes.count("AWS_INSTANCE_PORT") != 0
                   ? "port " + slot.spec.attributes.at("AWS_INSTANCE_PORT")
                   : std::string("no port"));
  if (on_registered_) {
    on_registered_(slot.index);
  }
  if (slot.custom_health) {
    send_health(slot, true);
  }
}

void SelfRegistration::heartbeat(Slot& slot) {
  slot.probe.probe(slot.spec.app, options_.app_connect_timeout,
                   [this, &slot](boost::system::error_code ec) {
                     if (!ec) {
                       slot.probe_failures = 0;
                       return send_health(slot, true);
                     }
                     ++stats_.app_probe_failures;
                     ++slot.probe_failures;
                     const bool healthy = slot.probe_failures < options_.app_unhealthy_threshold &&
                                          slot.reported != filters::HealthStatus::Unhealthy;
                     if (!healthy && slot.reported != filters::HealthStatus::Unhealthy) {
                       spdlog::warn(
                           "discovery: the application of {} does not answer on {} ({}); "
                           "reporting UNHEALTHY",
                           slot.spec.service, slot.spec.app.to_string(), ec.message());
                     }
                     send_health(slot, healthy);
                   });
}

void SelfRegistration::send_health(Slot& slot, bool healthy) {
  slot.request = client_.send(
      "UpdateInstanceCustomHealthStatus",
      cloud_map::update_health(slot.service_id, slot.spec.instance_id, healthy),
      [this, &slot, healthy](RegistryReply reply) {
        slot.request = 0;
        if (reply.ok()) {
          ++stats_.heartbeats;
          slot.pacer.on_success();
          slot.reported =
              healthy ? filters::HealthStatus::Healthy : filters::HealthStatus::Unhealthy;
          return schedule_heartbeat(slot);
        }
        ++stats_.heartbeat_failures;
        if (reply.error_type == "InstanceNotFound") {
          spdlog::warn("discovery: the registry lost instance {} of {}; registering it again",
                       slot.spec.instance_id, slot.spec.service);
          return register_instance(slot);
        }
        if (reply.error_type == "ServiceNotFound") {
          slot.service_id.clear();
          return slot_failed(slot, reply, "UpdateInstanceCustomHealthStatus",
                             [this](Slot& s) { find_service(s, {}); });
        }
        if (reply.error_type == "CustomHealthNotFound") {
          slot.custom_health = false;
          spdlog::warn("discovery: service {} has no custom health; heartbeats stop",
                       slot.spec.service);
          return;
        }
        // Try again soon (the client already failed over), never later than
        // a heartbeat would have.
        const core::Duration delay = std::min(slot.pacer.on_failure(), options_.heartbeat_interval);
        FERRY_LOG_LIMITED(spdlog::level::warn, "discovery: heartbeat of {} failed: {}",
                          slot.spec.instance_id, reply.describe());
        slot.timer.start(delay, [this, &slot] { heartbeat(slot); });
      });
}

void SelfRegistration::schedule_heartbeat(Slot& slot) {
  if (!slot.custom_health) {
    return;
  }
  // 80-100% of the interval: sidecars started together drift apart.
  const auto interval = options_.heartbeat_interval.count();
  const auto jitter =
      static_cast<core::Duration::rep>(prng_.uniform(static_cast<std::uint64_t>(interval / 5) + 1));
  slot.timer.start(core::Duration(interval - jitter), [this, &slot] { heartbeat(slot); });
}

// --- shared ---

void SelfRegistration::poll_operation(std::shared_ptr<Operation> op) {
  RegistryClient::RequestId& request = op->slot ? op->slot->request : namespace_request_;
  request = client_.send(
      "GetOperation", cloud_map::get_operation(op->id), [this, op](RegistryReply reply) {
        (op->slot ? op->slot->request : namespace_request_) = 0;
        auto state = reply.ok() ? cloud_map::read_operation(reply.body) : std::nullopt;
        if (reply.error_type == "OperationNotFound") {
          return op->on_fail("operation " + op->id + " not found");
        }
        if (state && state->status == "SUCCESS") {
          return op->on_success(*state);
        }
        if (state && state->status == "FAIL") {
          return op->on_fail(state->error);
        }
        if (scheduler_.now() >= op->deadline) {
          return op->on_fail("operation " + op->id + " still pending");
        }
        Timer& timer = op->slot ? op->slot->timer : namespace_timer_;
        const core::Duration delay = op->delay;
        op->delay = std::min(op->delay * 2, kMaxPollDelay);
        timer.start(delay, [this, op] { poll_operation(op); });
      });
}

void SelfRegistration::slot_failed(Slot& slot, const RegistryReply& reply, const char* step,
                                   std::function<void(Slot&)> retry) {
  ++stats_.step_failures;
  const core::Duration delay = slot.pacer.on_failure();
  const std::string what = reply.describe();
  if (what != slot.last_error) {
    slot.last_error = what;
    spdlog::warn("discovery: {} for {} failed ({}); retrying", step, slot.spec.service, what);
  }
  slot.timer.start(delay, [&slot, retry = std::move(retry)] { retry(slot); });
}

}  // namespace ferry::discovery
