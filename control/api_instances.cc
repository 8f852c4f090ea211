// The instance actions of Api (api.h).
#include <boost/json.hpp>

#include "control/api.h"
#include "control/ids.h"

namespace ferry::control {
namespace json = boost::json;
using Presence = RequestReader::Presence;

namespace {

constexpr std::string_view kInstanceIdPattern = "^[0-9a-zA-Z_/:.@-]+$";

}  // namespace

void Api::register_instance(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto service_id = r.string("ServiceId", Presence::Required, 1, 255);
  auto instance_id =
      r.string("InstanceId", Presence::Required, 1, 64, is_valid_instance_id, kInstanceIdPattern);
  auto token = r.string("CreatorRequestId", Presence::Optional, 0, 64);
  const json::object* map = r.string_map("Attributes", Presence::Required);
  if (error) {
    return fail(done, *error);
  }
  Attributes attributes;
  attributes.reserve(map->size());
  for (const auto& kv : *map) {
    attributes.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
  }
  if (auto invalid = validate_attributes(attributes, config_.attribute_limits)) {
    return fail(done, *invalid);
  }
  auto resolved = resolve(service_id, ResourceName::Type::Service, "ServiceId", done);
  if (!resolved) {
    return;
  }
  RegisterInstanceArgs args{std::move(*resolved),
                            std::move(*instance_id),
                            std::move(attributes),
                            token.value_or(""),
                            new_operation_id(),
                            idempotency("RegisterInstance", token, body, "CreatorRequestId"),
                            now(),
                            config_.limits};
  submit(make_mutation("RegisterInstance", std::move(args), &control::register_instance), done);
}

void Api::deregister_instance(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto service_id = r.string("ServiceId", Presence::Required, 1, 255);
  auto instance_id = r.string("InstanceId", Presence::Required, 1, 64);
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(service_id, ResourceName::Type::Service, "ServiceId", done);
  if (!resolved) {
    return;
  }
  DeregisterInstanceArgs args{std::move(*resolved), std::move(*instance_id), new_operation_id(),
                              now()};
  submit(make_mutation("DeregisterInstance", std::move(args), &control::deregister_instance), done);
}

void Api::get_instance(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto service_id = r.string("ServiceId", Presence::Required, 1, 255);
  auto instance_id = r.string("InstanceId", Presence::Required, 1, 64);
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(service_id, ResourceName::Type::Service, "ServiceId", done);
  if (!resolved) {
    return;
  }
  const auto* service = registry_.state().find_service(*resolved);
  if (service == nullptr) {
    return fail(done, service_not_found(*service_id));
  }
  auto it = service->instances.find(*instance_id);
  if (it == service->instances.end()) {
    return fail(done, instance_not_found(*instance_id));
  }
  const Instance& instance = *it->second.value;
  json::object out{{"Id", instance.id},
                   {"Attributes", attributes_json(instance.attributes)},
                   {"CreatedByAccount", config_.account_id}};
  if (!instance.creator_request_id.empty()) {
    out["CreatorRequestId"] = instance.creator_request_id;
  }
  reply(done, {{"ResourceOwner", config_.account_id}, {"Instance", std::move(out)}});
}

void Api::list_instances(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto service_id = r.string("ServiceId", Presence::Required, 1, 255);
  auto page = read_page(r, "ListInstances", 100, 100);
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(service_id, ResourceName::Type::Service, "ServiceId", done);
  if (!resolved) {
    return;
  }
  const auto* service = registry_.state().find_service(*resolved);
  if (service == nullptr) {
    return fail(done, service_not_found(*service_id));
  }
  const auto& instances = service->instances;
  auto it = page->after ? instances.upper_bound(*page->after) : instances.begin();
  json::array out;
  std::string last;
  for (; it != instances.end() && out.size() < page->max_results; ++it) {
    const Instance& instance = *it->second.value;
    out.push_back(json::object{{"Id", instance.id},
                               {"Attributes", attributes_json(instance.attributes)},
                               {"CreatedByAccount", config_.account_id}});
    last = it->first;
  }
  json::object result{{"ResourceOwner", config_.account_id}, {"Instances", std::move(out)}};
  if (it != instances.end()) {
    result["NextToken"] = make_page_token("ListInstances", last);
  }
  reply(done, result);
}

void Api::get_instances_health_status(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto service_id = r.string("ServiceId", Presence::Required, 1, 255);
  const json::array* wanted = r.array("Instances", Presence::Optional, 1, 1000);
  auto page = read_page(r, "GetInstancesHealthStatus", 100, 100);
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(service_id, ResourceName::Type::Service, "ServiceId", done);
  if (!resolved) {
    return;
  }
  const auto* service = registry_.state().find_service(*resolved);
  if (service == nullptr) {
    return fail(done, service_not_found(*service_id));
  }
  // The ids to report, in order: the ones asked for, else every instance.
  std::vector<std::string> ids;
  if (wanted != nullptr) {
    for (const json::value& v : *wanted) {
      if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 64) {
        return fail(done, invalid_input("Value at 'Instances' failed to satisfy constraint: "
                                        "Member must be a list of instance IDs"));
      }
      if (service->instances.find(std::string_view(v.get_string())) == service->instances.end()) {
        return fail(done, instance_not_found(std::string_view(v.get_string())));
      }
      ids.emplace_back(v.get_string());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  } else {
    for (const auto& [id, entry] : service->instances) {
      ids.push_back(id);
    }
  }
  auto it = page->after ? std::upper_bound(ids.begin(), ids.end(), *page->after) : ids.begin();
  json::object status;
  std::string last;
  for (; it != ids.end() && status.size() < page->max_results; ++it) {
    const Instance& instance = *service->instances.find(*it)->second.value;
    status[*it] = to_string(instance.health);
    last = *it;
  }
  json::object result{{"Status", std::move(status)}};
  if (it != ids.end()) {
    result["NextToken"] = make_page_token("GetInstancesHealthStatus", last);
  }
  reply(done, result);
}

void Api::update_instance_custom_health_status(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto service_id = r.string("ServiceId", Presence::Required, 1, 255);
  auto instance_id = r.string("InstanceId", Presence::Required, 1, 64);
  auto status = r.enumeration("Status", Presence::Required, {"HEALTHY", "UNHEALTHY"});
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(service_id, ResourceName::Type::Service, "ServiceId", done);
  if (!resolved) {
    return;
  }
  const HealthStatus wanted = *parse_health_status(*status);
  const auto* service = registry_.state().find_service(*resolved);
  const auto* instance =
      service == nullptr ? nullptr : registry_.state().find_instance(*resolved, *instance_id);
  // A renewal (the status it already has): not a durable write, only the
  // TTL is re-armed. Anything else is a write and moves the version.
  if (instance != nullptr && service->service.value->custom_health &&
      instance->value->health == wanted) {
    if (renewal_ && wanted == HealthStatus::Healthy) {
      renewal_(*resolved, *instance_id);
    }
    return reply(done, json::object{});
  }
  SetHealthArgs args{std::move(*resolved), std::move(*instance_id), wanted, now(), std::nullopt,
                     std::nullopt};
  submit(make_mutation("UpdateInstanceCustomHealthStatus", std::move(args),
                       &control::set_instance_health),
         done);
}

}  // namespace ferry::control
