// The service actions of Api (api.h).
#include <boost/json.hpp>

#include "control/api.h"
#include "control/ids.h"

namespace ferry::control {
namespace json = boost::json;
using Presence = RequestReader::Presence;

namespace {

// DNS records and Route 53 health checks need a DNS namespace and Route 53;
// refuse them clearly instead of storing settings that would do nothing.
std::optional<ApiError> refuse_dns_settings(const json::object& object, std::string_view path) {
  if (object.contains("DnsConfig")) {
    return invalid_input(std::string(path) +
                         "DnsConfig is only valid in DNS namespaces; ferry-control serves HTTP "
                         "namespaces (discover instances with DiscoverInstances)");
  }
  if (object.contains("HealthCheckConfig")) {
    return invalid_input(std::string(path) +
                         "HealthCheckConfig (Route 53 health checks) is not supported; use "
                         "HealthCheckCustomConfig and UpdateInstanceCustomHealthStatus");
  }
  return std::nullopt;
}

}  // namespace

void Api::create_service(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto name =
      r.string("Name", Presence::Required, 1, 127, is_valid_service_name, kServiceNamePattern);
  auto namespace_id = r.string("NamespaceId", Presence::Required, 1, 255);
  auto token = r.string("CreatorRequestId", Presence::Optional, 0, 64);
  auto description = r.string("Description", Presence::Optional, 0, 1024);
  const json::object* custom = r.object("HealthCheckCustomConfig", Presence::Optional);
  std::optional<std::int64_t> threshold;
  if (custom != nullptr) {
    threshold = r.child(*custom, "HealthCheckCustomConfig")
                    .integer("FailureThreshold", Presence::Optional, 1, 10);
  }
  r.enumeration("Type", Presence::Optional, {"HTTP"});
  auto tags = read_tags(r, "Tags");
  if (!error) {
    error = refuse_dns_settings(body, "");
  }
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(namespace_id, ResourceName::Type::Namespace, "NamespaceId", done);
  if (!resolved) {
    return;
  }
  if (tags->size() > config_.limits.max_tags_per_resource) {
    ApiError e = api_error("TooManyTagsException",
                           "A resource may have at most " +
                               std::to_string(config_.limits.max_tags_per_resource) + " tags");
    e.members.emplace_back("ResourceName", *name);
    return fail(done, e);
  }
  auto service = std::make_shared<Service>();
  service->id = new_service_id();
  service->arn = service_arn(config_.region, config_.account_id, service->id);
  service->name = std::move(*name);
  service->namespace_id = std::move(*resolved);
  service->description = description.value_or("");
  service->creator_request_id = token.value_or("");
  service->create_date = now();
  service->custom_health = custom != nullptr;
  if (threshold) {
    service->failure_threshold = static_cast<int>(*threshold);
  }
  service->tags = std::move(*tags);
  std::string rendered =
      json::serialize(json::object{{"Service", service_json(*service, 0, output_, false)}});
  CreateServiceArgs args{std::move(service), std::move(rendered),
                         idempotency("CreateService", token, body, "CreatorRequestId"),
                         config_.limits.max_services_per_namespace};
  submit(make_mutation("CreateService", std::move(args), &control::create_service), done);
}

void Api::get_service(const json::object& body, Done& done) {
  auto id = read_only_id(body, ResourceName::Type::Service, done);
  if (!id) {
    return;
  }
  const auto* entry = registry_.state().find_service(id->resolved);
  if (entry == nullptr) {
    return fail(done, api_error("ServiceNotFound", "No service exists with the ID " + id->given));
  }
  reply(done, {{"Service",
                service_json(*entry->service.value, entry->instances.size(), output_, false)}});
}

void Api::list_services(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto page = read_page(r, "ListServices", 100, 100);
  auto filters = read_filters(r, "Filters", {"NAMESPACE_ID", "RESOURCE_OWNER"});
  if (error) {
    return fail(done, *error);
  }
  for (const ListFilter& f : *filters) {
    const bool ok = f.name == "NAMESPACE_ID" ? check_filter(r, f, {"EQ", "IN"}, 1, 100)
                                             : check_filter(r, f, {"EQ"}, 1, 1);
    if (!ok) {
      return fail(done, *error);
    }
  }
  const auto& services = registry_.state().services();
  auto it = page->after ? services.upper_bound(*page->after) : services.begin();
  json::array out;
  std::string last;
  for (; it != services.end() && out.size() < page->max_results; ++it) {
    const Service& service = *it->second.service.value;
    bool keep = true;
    for (const ListFilter& f : *filters) {
      if (f.name == "NAMESPACE_ID") {
        bool any = false;
        for (const std::string& v : f.values) {
          auto id =
              resolve_id(v, ResourceName::Type::Namespace, config_.region, config_.account_id);
          any = any || (id && *id == service.namespace_id);
        }
        keep = keep && any;
      } else {
        keep = keep && f.values[0] == "SELF";
      }
    }
    last = it->first;
    if (keep) {
      out.push_back(service_json(service, it->second.instances.size(), output_, true));
    }
  }
  json::object result{{"Services", std::move(out)}};
  if (it != services.end()) {
    result["NextToken"] = make_page_token("ListServices", last);
  }
  reply(done, result);
}

void Api::update_service(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto id = r.string("Id", Presence::Required, 1, 255);
  const json::object* change = r.object("Service", Presence::Required);
  std::optional<std::string> description;
  if (change != nullptr) {
    description = r.child(*change, "Service").string("Description", Presence::Optional, 0, 1024);
    if (!error) {
      error = refuse_dns_settings(*change, "Service.");
    }
  }
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(id, ResourceName::Type::Service, "Id", done);
  if (!resolved) {
    return;
  }
  UpdateServiceArgs args{std::move(*resolved), std::move(description), new_operation_id(), now()};
  submit(make_mutation("UpdateService", std::move(args), &control::update_service), done);
}

void Api::delete_service(const json::object& body, Done& done) {
  auto id = read_only_id(body, ResourceName::Type::Service, done);
  if (!id) {
    return;
  }
  submit(make_mutation("DeleteService", DeleteServiceArgs{std::move(id->resolved)},
                       &control::delete_service),
         done);
}

}  // namespace ferry::control
