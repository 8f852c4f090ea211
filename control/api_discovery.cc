// DiscoverInstances and DiscoverInstancesRevision of Api (api.h): the hot
// read path. Answers are assembled from JSON fragments each instance record
// serialised once when it was written.
#include <algorithm>
#include <random>

#include <boost/json.hpp>

#include "control/api.h"

namespace ferry::control {
namespace json = boost::json;
using Presence = RequestReader::Presence;

namespace {

constexpr std::string_view kNamespaceNamePattern = "^[!-~]{1,1024}$";
using Filter = std::vector<std::pair<std::string_view, std::string_view>>;

bool matches(const Instance& instance, const Filter& filter) {
  for (const auto& [key, value] : filter) {
    auto it = std::lower_bound(instance.attributes.begin(), instance.attributes.end(), key,
                               [](const auto& a, std::string_view k) { return a.first < k; });
    if (it == instance.attributes.end() || it->first != key || it->second != value) {
      return false;
    }
  }
  return true;
}

// Reads QueryParameters / OptionalParameters; the views point into `body`.
std::optional<Filter> read_filter(RequestReader& reader, std::string_view member) {
  Filter filter;
  const json::object* map = reader.string_map(member, Presence::Optional);
  if (map == nullptr) {
    return reader.ok() ? std::optional(filter) : std::nullopt;
  }
  for (const auto& kv : *map) {
    const std::string_view value = kv.value().get_string();
    if (!is_valid_attribute_key(kv.key())) {
      reader.fail(member, "Map keys must satisfy regular expression pattern: ^[a-zA-Z0-9!-~]+$");
      return std::nullopt;
    }
    if (!is_valid_attribute_value(value)) {
      reader.fail(std::string(member) + "." + std::string(kv.key()),
                  "Member must satisfy regular expression pattern: "
                  "^([a-zA-Z0-9!-~][ \\ta-zA-Z0-9!-~]*){0,1}[a-zA-Z0-9!-~]{0,1}$");
      return std::nullopt;
    }
    filter.emplace_back(kv.key(), value);
  }
  return filter;
}

std::mt19937_64& shuffle_generator() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace

namespace {

// The instances DiscoverInstances answers with: those matching every query
// parameter, filtered by health (only for services with a health check;
// HEALTHY by default, see control/README.md), narrowed by the optional
// parameters when any instance matches them, then a random sample of
// `max_results` in random order.
std::vector<const Instance*> select_instances(const RegistryState::ServiceEntry& service,
                                              const Filter& query, const Filter& optional,
                                              const std::optional<std::string>& health,
                                              std::size_t max_results) {
  const std::string filter =
      service.service.value->custom_health ? health.value_or("HEALTHY") : std::string("ALL");
  std::vector<const Instance*> healthy;
  std::vector<const Instance*> all;
  for (const auto& [id, entry] : service.instances) {
    const Instance* instance = entry.value.get();
    if (!matches(*instance, query)) {
      continue;
    }
    all.push_back(instance);
    if (instance->health == HealthStatus::Healthy) {
      healthy.push_back(instance);
    }
  }
  std::vector<const Instance*> chosen;
  if (filter == "HEALTHY" || (filter == "HEALTHY_OR_ELSE_ALL" && !healthy.empty())) {
    chosen = std::move(healthy);
  } else if (filter == "UNHEALTHY") {
    std::copy_if(all.begin(), all.end(), std::back_inserter(chosen),
                 [](const Instance* i) { return i->health == HealthStatus::Unhealthy; });
  } else {
    chosen = std::move(all);
  }
  if (!optional.empty()) {
    std::vector<const Instance*> narrowed;
    std::copy_if(chosen.begin(), chosen.end(), std::back_inserter(narrowed),
                 [&](const Instance* i) { return matches(*i, optional); });
    if (!narrowed.empty()) {
      chosen = std::move(narrowed);
    }
  }
  const std::size_t n = std::min(max_results, chosen.size());
  auto& rng = shuffle_generator();
  for (std::size_t i = 0; i < n; ++i) {  // partial Fisher-Yates
    std::uniform_int_distribution<std::size_t> pick(i, chosen.size() - 1);
    std::swap(chosen[i], chosen[pick(rng)]);
  }
  chosen.resize(n);
  return chosen;
}

// The response, from the JSON fragments cached in each instance record.
std::string render(const std::vector<const Instance*>& instances, std::string_view ns_name,
                   std::string_view service_name, std::int64_t revision) {
  const std::string ns_json = json::serialize(json::string_view(ns_name));
  const std::string service_json = json::serialize(json::string_view(service_name));
  std::string out;
  out.reserve(64 + instances.size() * (96 + ns_json.size() + service_json.size()));
  out.append("{\"Instances\":[");
  bool first = true;
  for (const Instance* instance : instances) {
    out.append(first ? "{\"InstanceId\":" : ",{\"InstanceId\":").append(instance->id_json);
    out.append(",\"NamespaceName\":").append(ns_json);
    out.append(",\"ServiceName\":").append(service_json);
    out.append(",\"HealthStatus\":\"").append(to_string(instance->health));
    out.append("\",\"Attributes\":").append(instance->attributes_json).push_back('}');
    first = false;
  }
  out.append("],\"InstancesRevision\":").append(std::to_string(revision)).push_back('}');
  return out;
}

}  // namespace

void Api::discover_instances(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto ns_name = r.string("NamespaceName", Presence::Required, 1, 1024, is_valid_namespace_name,
                          kNamespaceNamePattern);
  auto service_name = r.string("ServiceName", Presence::Required, 1, 127, is_valid_service_name,
                               kServiceNamePattern);
  const auto max_results =
      static_cast<std::size_t>(r.integer("MaxResults", Presence::Optional, 1, 1000).value_or(100));
  auto query = read_filter(r, "QueryParameters");
  auto optional = read_filter(r, "OptionalParameters");
  auto health = r.enumeration("HealthStatus", Presence::Optional,
                              {"HEALTHY", "UNHEALTHY", "ALL", "HEALTHY_OR_ELSE_ALL"});
  r.string("OwnerAccount", Presence::Optional, 12, 12);
  if (error) {
    return fail(done, *error);
  }
  const RegistryState& state = registry_.state();
  const auto* ns = state.find_namespace_by_name(*ns_name);
  if (ns == nullptr) {
    return fail(done, api_error("NamespaceNotFound",
                                "No namespace exists with the name " + ns_name->substr(0, 256)));
  }
  const auto* service = state.find_service_by_name(ns->ns.value->id, *service_name);
  if (service == nullptr) {
    return fail(done,
                api_error("ServiceNotFound", "No service exists with the name " + *service_name +
                                                 " in namespace " + ns->ns.value->id));
  }
  const auto chosen = select_instances(*service, *query, *optional, health, max_results);
  done({200,
        render(chosen, ns->ns.value->name, service->service.value->name,
               state.service_revision(service->service.value->id)),
        {}});
}

void Api::discover_instances_revision(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto ns_name = r.string("NamespaceName", Presence::Required, 1, 1024, is_valid_namespace_name,
                          kNamespaceNamePattern);
  auto service_name = r.string("ServiceName", Presence::Required, 1, 127, is_valid_service_name,
                               kServiceNamePattern);
  r.string("OwnerAccount", Presence::Optional, 12, 12);
  if (error) {
    return fail(done, *error);
  }
  const RegistryState& state = registry_.state();
  const auto* ns = state.find_namespace_by_name(*ns_name);
  if (ns == nullptr) {
    return fail(done, api_error("NamespaceNotFound",
                                "No namespace exists with the name " + ns_name->substr(0, 256)));
  }
  const auto* service = state.find_service_by_name(ns->ns.value->id, *service_name);
  if (service == nullptr) {
    return fail(done,
                api_error("ServiceNotFound", "No service exists with the name " + *service_name +
                                                 " in namespace " + ns->ns.value->id));
  }
  reply(done, {{"InstancesRevision", state.service_revision(service->service.value->id)}});
}

}  // namespace ferry::control
