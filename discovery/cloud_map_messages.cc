#include "discovery/cloud_map_messages.h"

#include <cstdio>
#include <random>

#include <boost/json.hpp>

namespace ferry::discovery::cloud_map {
namespace json = boost::json;

namespace {

std::optional<json::value> parse(std::string_view body) {
  json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, options);
  if (ec || !v.is_object()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  return std::string(v->get_string());
}

json::object eq_filter(std::string_view name, std::string_view value) {
  return json::object{
      {"Name", name}, {"Values", json::array{json::string(value)}}, {"Condition", "EQ"}};
}

}  // namespace

std::string list_namespaces(std::string_view name) {
  return json::serialize(
      json::object{{"Filters", json::array{eq_filter("NAME", name)}}, {"MaxResults", 100}});
}

std::optional<std::string> find_namespace_id(std::string_view body, std::string_view name) {
  auto v = parse(body);
  if (!v) {
    return std::nullopt;
  }
  const json::value* list = v->get_object().if_contains("Namespaces");
  if (list == nullptr || !list->is_array()) {
    return std::nullopt;
  }
  for (const json::value& item : list->get_array()) {
    const json::object* o = item.if_object();
    if (o != nullptr && string_at(*o, "Name") == std::string(name)) {
      return string_at(*o, "Id");
    }
  }
  return std::nullopt;
}

std::string create_http_namespace(std::string_view name, std::string_view token) {
  return json::serialize(json::object{
      {"Name", name}, {"CreatorRequestId", token}, {"Description", "created by ferry-proxy"}});
}

std::string list_services(std::string_view namespace_id, std::string_view next_token) {
  json::object o{{"Filters", json::array{eq_filter("NAMESPACE_ID", namespace_id)}},
                 {"MaxResults", 100}};
  if (!next_token.empty()) {
    o["NextToken"] = next_token;
  }
  return json::serialize(o);
}

std::optional<ServicePage> read_service_page(std::string_view body, std::string_view name) {
  auto v = parse(body);
  if (!v) {
    return std::nullopt;
  }
  const json::object& top = v->get_object();
  const json::value* list = top.if_contains("Services");
  if (list == nullptr || !list->is_array()) {
    return std::nullopt;
  }
  ServicePage page;
  for (const json::value& item : list->get_array()) {
    const json::object* o = item.if_object();
    if (o == nullptr || string_at(*o, "Name") != std::string(name)) {
      continue;
    }
    auto id = string_at(*o, "Id");
    if (!id) {
      return std::nullopt;
    }
    page.found = ServiceSummary{*id, o->contains("HealthCheckCustomConfig")};
  }
  page.next_token = string_at(top, "NextToken").value_or("");
  return page;
}

std::string create_service(std::string_view name, std::string_view namespace_id,
                           std::string_view token) {
  return json::serialize(json::object{{"Name", name},
                                      {"NamespaceId", namespace_id},
                                      {"CreatorRequestId", token},
                                      {"Description", "created by ferry-proxy"},
                                      {"HealthCheckCustomConfig", {{"FailureThreshold", 1}}}});
}

std::optional<std::string> created_service_id(std::string_view body) {
  auto v = parse(body);
  if (!v) {
    return std::nullopt;
  }
  const json::value* service = v->get_object().if_contains("Service");
  if (service == nullptr || !service->is_object()) {
    return std::nullopt;
  }
  return string_at(service->get_object(), "Id");
}

std::string register_instance(std::string_view service_id, std::string_view instance_id,
                              std::string_view token,
                              const std::map<std::string, std::string>& attributes) {
  json::object attrs;
  for (const auto& [key, value] : attributes) {
    attrs.emplace(key, value);
  }
  return json::serialize(json::object{{"ServiceId", service_id},
                                      {"InstanceId", instance_id},
                                      {"CreatorRequestId", token},
                                      {"Attributes", std::move(attrs)}});
}

std::string deregister_instance(std::string_view service_id, std::string_view instance_id) {
  return json::serialize(json::object{{"ServiceId", service_id}, {"InstanceId", instance_id}});
}

std::string update_health(std::string_view service_id, std::string_view instance_id, bool healthy) {
  return json::serialize(json::object{{"ServiceId", service_id},
                                      {"InstanceId", instance_id},
                                      {"Status", healthy ? "HEALTHY" : "UNHEALTHY"}});
}

std::string get_operation(std::string_view operation_id) {
  return json::serialize(json::object{{"OperationId", operation_id}});
}

std::optional<std::string> operation_id(std::string_view body) {
  auto v = parse(body);
  return v ? string_at(v->get_object(), "OperationId") : std::nullopt;
}

std::optional<OperationState> read_operation(std::string_view body) {
  auto v = parse(body);
  if (!v) {
    return std::nullopt;
  }
  const json::value* op = v->get_object().if_contains("Operation");
  if (op == nullptr || !op->is_object()) {
    return std::nullopt;
  }
  const json::object& o = op->get_object();
  OperationState out;
  auto status = string_at(o, "Status");
  if (!status) {
    return std::nullopt;
  }
  out.status = *status;
  if (const json::value* targets = o.if_contains("Targets"); targets && targets->is_object()) {
    for (const auto& kv : targets->get_object()) {
      if (kv.value().is_string()) {
        out.targets.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
      }
    }
  }
  out.error =
      string_at(o, "ErrorCode").value_or("") + ": " + string_at(o, "ErrorMessage").value_or("");
  return out;
}

std::optional<std::string> error_member(std::string_view body, std::string_view member) {
  auto v = parse(body);
  return v ? string_at(v->get_object(), member) : std::nullopt;
}

std::string new_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t a = rng();
  const std::uint64_t b = rng();
  char out[40];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

}  // namespace ferry::discovery::cloud_map
