// SelfRegistration::deregister (self_registration.h): the drain path.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "discovery/cloud_map_messages.h"
#include "discovery/self_registration.h"
#include "discovery/self_registration_slot.h"

namespace ferry::discovery {

// --- draining ---

void SelfRegistration::deregister(std::function<void()> done) {
  if (done) {
    deregister_done_.push_back(std::move(done));
  }
  if (deregistering_) {
    if (deregistrations_pending_ == 0 && !deregister_deadline_.pending()) {
      scheduler_.schedule(core::Duration::zero(), [this, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.expired()) {
          finish_deregister();
        }
      });
    }
    return;
  }
  deregistering_ = true;
  client_.cancel(namespace_request_);
  namespace_request_ = 0;
  namespace_timer_.cancel();
  CallPolicy policy;
  policy.max_attempts =
      static_cast<std::uint32_t>(std::max<std::size_t>(1, client_.replica_count()));
  policy.deadline = options_.deregister_timeout;
  policy.backoff = false;
  for (auto& slot : slots_) {
    client_.cancel(slot->request);
    slot->request = 0;
    slot->timer.cancel();
    slot->probe.cancel();
    const bool may_exist = slot->sent_register && !slot->service_id.empty();
    slot->phase = Phase::Deregistered;
    if (!may_exist) {
      continue;
    }
    ++deregistrations_pending_;
    Slot* s = slot.get();
    deregister_requests_.push_back(client_.call(
        "DeregisterInstance", cloud_map::deregister_instance(s->service_id, s->spec.instance_id),
        policy, [this, s](RegistryReply reply) {
          if (reply.ok() || reply.error_type == "InstanceNotFound") {
            spdlog::info("discovery: deregistered {} from {}", s->spec.instance_id,
                         s->spec.service);
          } else {
            spdlog::warn("discovery: deregistering {} from {} failed: {}", s->spec.instance_id,
                         s->spec.service, reply.describe());
          }
          if (--deregistrations_pending_ == 0) {
            finish_deregister();
          }
        }));
  }
  deregister_deadline_.start(
      deregistrations_pending_ == 0 ? core::Duration::zero() : options_.deregister_timeout,
      [this] { finish_deregister(); });
}

void SelfRegistration::finish_deregister() {
  deregister_deadline_.cancel();
  for (auto id : deregister_requests_) {
    client_.cancel(id);
  }
  deregister_requests_.clear();
  deregistrations_pending_ = 0;
  auto callbacks = std::move(deregister_done_);
  deregister_done_.clear();
  for (auto& cb : callbacks) {
    cb();
  }
}

}  // namespace ferry::discovery
