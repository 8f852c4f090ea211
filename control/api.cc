#include "control/api.h"

#include <algorithm>

#include <boost/json.hpp>

#include "proxy/core/sigv4/digest.h"

namespace ferry::control {
namespace json = boost::json;

std::string ApiError::body() const {
  json::object out{{"__type", code}, {"Message", message}};
  for (const auto& [name, value] : members) {
    out[name] = value;
  }
  return json::serialize(out);
}

const std::vector<Api::Route>& Api::routes() {
  static const std::vector<Route> kRoutes = {
      {"CreateHttpNamespace", &Api::create_http_namespace, false},
      {"GetNamespace", &Api::get_namespace, true},
      {"ListNamespaces", &Api::list_namespaces, true},
      {"UpdateHttpNamespace", &Api::update_http_namespace, false},
      {"DeleteNamespace", &Api::delete_namespace, false},
      {"CreatePrivateDnsNamespace", &Api::dns_namespace, false},
      {"CreatePublicDnsNamespace", &Api::dns_namespace, false},
      {"UpdatePrivateDnsNamespace", &Api::dns_namespace, false},
      {"UpdatePublicDnsNamespace", &Api::dns_namespace, false},
      {"CreateService", &Api::create_service, false},
      {"GetService", &Api::get_service, true},
      {"ListServices", &Api::list_services, true},
      {"UpdateService", &Api::update_service, false},
      {"DeleteService", &Api::delete_service, false},
      {"RegisterInstance", &Api::register_instance, false},
      {"DeregisterInstance", &Api::deregister_instance, false},
      {"GetInstance", &Api::get_instance, true},
      {"ListInstances", &Api::list_instances, true},
      {"GetInstancesHealthStatus", &Api::get_instances_health_status, true},
      {"UpdateInstanceCustomHealthStatus", &Api::update_instance_custom_health_status, true},
      {"DiscoverInstances", &Api::discover_instances, true},
      {"DiscoverInstancesRevision", &Api::discover_instances_revision, true},
      {"GetOperation", &Api::get_operation, true},
      {"ListOperations", &Api::list_operations, true},
      {"TagResource", &Api::tag_resource, false},
      {"UntagResource", &Api::untag_resource, false},
      {"ListTagsForResource", &Api::list_tags_for_resource, true},
  };
  return kRoutes;
}

bool Api::is_known_action(std::string_view action) {
  const auto& r = routes();
  return std::any_of(r.begin(), r.end(),
                     [&](const Route& route) { return route.action == action; });
}

std::vector<std::string_view> Api::actions() {
  std::vector<std::string_view> out;
  for (const Route& route : routes()) {
    out.push_back(route.action);
  }
  return out;
}

Api::Api(ApiConfig config, Registry& registry, Store& store, RenewalHook renewal)
    : config_(std::move(config)),
      output_{config_.account_id},
      registry_(registry),
      store_(store),
      renewal_(std::move(renewal)) {}

ApiReply Api::error_reply(const ApiError& error) {
  return {error.status, error.body(), error.code};
}

void Api::handle(std::string_view action, std::string_view body, const AuthContext&, Done done) {
  const auto& r = routes();
  auto route = std::find_if(r.begin(), r.end(), [&](const Route& x) { return x.action == action; });
  if (route == r.end()) {
    done(error_reply(api_error("UnknownOperationException",
                               "Unknown operation " + std::string(action.substr(0, 64)))));
    return;
  }
  std::string parse_error;
  auto value =
      parse_strict_json(body.empty() ? std::string_view("{}") : body, parse_error, config_.json);
  if (!value) {
    done(error_reply(invalid_input("The request body is not valid JSON: " + parse_error)));
    return;
  }
  if (!value->is_object()) {
    done(error_reply(invalid_input("The request body must be a JSON object")));
    return;
  }
  const Handler handler = route->handler;
  if (!route->read) {
    (this->*handler)(value->get_object(), done);
    return;
  }
  store_.sync([this, handler, value = std::move(*value), done = std::move(done)](bool ok) mutable {
    if (!ok) {
      done(error_reply(store_unavailable("The registry store is unreachable; retry later.")));
      return;
    }
    (this->*handler)(value.get_object(), done);
  });
}

void Api::submit(std::shared_ptr<const Mutation> mutation, Done& done) {
  store_.submit(std::move(mutation), [done = std::move(done)](MutationResult result) {
    if (result.error) {
      done(error_reply(*result.error));
    } else {
      done({200, std::move(result.reply), {}});
    }
  });
}

void Api::reply(Done& done, const json::object& body) {
  done({200, json::serialize(body), {}});
}

void Api::fail(Done& done, const ApiError& error) {
  done(error_reply(error));
}

std::optional<std::string> Api::resolve(std::optional<std::string> id, ResourceName::Type type,
                                        std::string_view member, Done& done) const {
  if (!id) {
    return std::nullopt;
  }
  auto resolved = resolve_id(*id, type, config_.region, config_.account_id);
  if (!resolved || resolved->empty()) {
    fail(done, invalid_input("Value at '" + std::string(member) +
                             "' failed to satisfy constraint: Member must be an ID or an ARN of "
                             "this registry"));
    return std::nullopt;
  }
  return resolved;
}

std::optional<Api::ResolvedId> Api::read_only_id(const json::object& body, ResourceName::Type type,
                                                 Done& done) const {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto id = r.string("Id", RequestReader::Presence::Required, 1, 255);
  if (error) {
    fail(done, *error);
    return std::nullopt;
  }
  auto resolved = resolve(id, type, "Id", done);
  if (!resolved) {
    return std::nullopt;
  }
  return ResolvedId{std::move(*id), std::move(*resolved)};
}

std::optional<std::vector<Tag>> Api::read_tags(RequestReader& reader,
                                               std::string_view member) const {
  std::vector<Tag> tags;
  const json::array* list = reader.array(member, RequestReader::Presence::Optional, 0, 200);
  if (list == nullptr) {
    return reader.ok() ? std::optional(tags) : std::nullopt;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string name = std::string(member) + ".member." + std::to_string(i + 1);
    if (!(*list)[i].is_object()) {
      reader.fail(name, "Member must be an object");
      return std::nullopt;
    }
    RequestReader tag = reader.child((*list)[i].get_object(), name);
    auto key = tag.string("Key", RequestReader::Presence::Required, 1, 128);
    auto value = tag.string("Value", RequestReader::Presence::Required, 0, 256);
    if (!reader.ok()) {
      return std::nullopt;
    }
    if (key->rfind("aws:", 0) == 0) {
      reader.fail(name + ".Key", "Member must not start with the reserved prefix 'aws:'");
      return std::nullopt;
    }
    tags.push_back({std::move(*key), std::move(*value)});
  }
  return tags;
}

IdempotencyKey Api::idempotency(std::string_view action, const std::optional<std::string>& token,
                                const json::object& body, std::string_view token_member) const {
  if (!token || token->empty()) {
    return {};
  }
  json::object rest = body;
  rest.erase(token_member);
  std::string scoped(action);
  scoped.push_back('/');
  scoped.append(*token);
  return {std::move(scoped), core::hex_encode(core::sha256(canonical_json(rest)))};
}

std::optional<std::vector<Api::ListFilter>> Api::read_filters(
    RequestReader& reader, std::string_view member, std::initializer_list<std::string_view> names) {
  std::vector<ListFilter> filters;
  const json::array* list = reader.array(member, RequestReader::Presence::Optional, 0, 20);
  if (list == nullptr) {
    return reader.ok() ? std::optional(filters) : std::nullopt;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string name = std::string(member) + ".member." + std::to_string(i + 1);
    if (!(*list)[i].is_object()) {
      reader.fail(name, "Member must be an object");
      return std::nullopt;
    }
    RequestReader f = reader.child((*list)[i].get_object(), name);
    ListFilter filter;
    filter.name = f.enumeration("Name", RequestReader::Presence::Required, names).value_or("");
    filter.condition = f.enumeration("Condition", RequestReader::Presence::Optional,
                                     {"EQ", "IN", "BETWEEN", "BEGINS_WITH"})
                           .value_or("EQ");
    const json::array* values = f.array("Values", RequestReader::Presence::Required, 1, 100);
    if (!reader.ok()) {
      return std::nullopt;
    }
    for (std::size_t j = 0; j < values->size(); ++j) {
      const json::value& v = (*values)[j];
      if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 255) {
        f.fail("Values.member." + std::to_string(j + 1),
               "Member must be a string of length 1 to 255");
        return std::nullopt;
      }
      filter.values.emplace_back(v.get_string());
    }
    filters.push_back(std::move(filter));
  }
  return filters;
}

bool Api::check_filter(RequestReader& reader, const ListFilter& filter,
                       std::initializer_list<std::string_view> allowed, std::size_t min_values,
                       std::size_t max_values) {
  if (std::find(allowed.begin(), allowed.end(), filter.condition) == allowed.end()) {
    reader.fail("Filters",
                "Condition " + filter.condition + " is not supported for " + filter.name);
    return false;
  }
  std::size_t max = max_values;
  if (filter.condition == "EQ" || filter.condition == "BEGINS_WITH") {
    max = 1;
  } else if (filter.condition == "BETWEEN") {
    min_values = max = 2;
  }
  if (filter.values.size() < min_values || filter.values.size() > max) {
    reader.fail("Filters",
                filter.name + " with " + filter.condition + " takes " +
                    (min_values == max ? std::to_string(max) : "up to " + std::to_string(max)) +
                    " value(s)");
    return false;
  }
  return true;
}

std::optional<Api::Page> Api::read_page(RequestReader& reader, std::string_view listing,
                                        std::int64_t max, std::size_t fallback) {
  Page page;
  page.max_results = static_cast<std::size_t>(
      reader.integer("MaxResults", RequestReader::Presence::Optional, 1, max)
          .value_or(static_cast<std::int64_t>(fallback)));
  auto token = reader.string("NextToken", RequestReader::Presence::Optional, 0, 4096);
  if (!reader.ok()) {
    return std::nullopt;
  }
  if (token && !token->empty()) {
    page.after = parse_page_token(listing, *token);
    if (!page.after) {
      reader.fail("NextToken", "Member must be a NextToken returned by " + std::string(listing));
      return std::nullopt;
    }
  }
  return page;
}

Timestamp Api::now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
  return static_cast<double>(ms) / 1000.0;
}

}  // namespace ferry::control
