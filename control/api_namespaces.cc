// The namespace actions of Api (api.h).
#include <boost/json.hpp>

#include "control/api.h"
#include "control/ids.h"

namespace ferry::control {
namespace json = boost::json;
using Presence = RequestReader::Presence;

namespace {

constexpr std::string_view kHttpNamePattern = "^(?!arn:)[!-~]{1,1024}$";

bool matches(const Api::ListFilter& filter, std::string_view value) {
  if (filter.condition == "BEGINS_WITH") {
    return value.substr(0, filter.values[0].size()) == filter.values[0];
  }
  for (const std::string& v : filter.values) {
    if (v == value) {
      return true;
    }
  }
  return false;
}

}  // namespace

void Api::create_http_namespace(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto name =
      r.string("Name", Presence::Required, 1, 1024, is_valid_http_namespace_name, kHttpNamePattern);
  auto token = r.string("CreatorRequestId", Presence::Optional, 0, 64);
  auto description = r.string("Description", Presence::Optional, 0, 1024);
  auto tags = read_tags(r, "Tags");
  if (error) {
    return fail(done, *error);
  }
  if (tags->size() > config_.limits.max_tags_per_resource) {
    ApiError e = api_error("TooManyTagsException",
                           "A resource may have at most " +
                               std::to_string(config_.limits.max_tags_per_resource) + " tags");
    e.members.emplace_back("ResourceName", *name);
    return fail(done, e);
  }
  auto ns = std::make_shared<Namespace>();
  ns->id = new_namespace_id();
  ns->arn = namespace_arn(config_.region, config_.account_id, ns->id);
  ns->name = std::move(*name);
  ns->description = description.value_or("");
  ns->creator_request_id = token.value_or("");
  ns->create_date = now();
  ns->tags = std::move(*tags);
  CreateNamespaceArgs args{std::move(ns), new_operation_id(),
                           idempotency("CreateHttpNamespace", token, body, "CreatorRequestId"),
                           config_.limits.max_namespaces};
  submit(make_mutation("CreateHttpNamespace", std::move(args), &control::create_namespace), done);
}

void Api::get_namespace(const json::object& body, Done& done) {
  auto id = read_only_id(body, ResourceName::Type::Namespace, done);
  if (!id) {
    return;
  }
  const auto* entry = registry_.state().find_namespace(id->resolved);
  if (entry == nullptr) {
    return fail(done,
                api_error("NamespaceNotFound", "No namespace exists with the ID " + id->given));
  }
  reply(done, {{"Namespace", namespace_json(*entry, output_, false)}});
}

void Api::list_namespaces(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto page = read_page(r, "ListNamespaces", 100, 100);
  auto filters = read_filters(r, "Filters", {"TYPE", "NAME", "HTTP_NAME", "RESOURCE_OWNER"});
  if (error) {
    return fail(done, *error);
  }
  for (const ListFilter& f : *filters) {
    const bool ok = f.name == "TYPE"             ? check_filter(r, f, {"EQ", "IN"}, 1, 3)
                    : f.name == "RESOURCE_OWNER" ? check_filter(r, f, {"EQ"}, 1, 1)
                                                 : check_filter(r, f, {"EQ", "BEGINS_WITH"}, 1, 1);
    if (!ok) {
      return fail(done, *error);
    }
  }
  const auto& namespaces = registry_.state().namespaces();
  auto it = page->after ? namespaces.upper_bound(*page->after) : namespaces.begin();
  json::array out;
  std::string last;
  for (; it != namespaces.end() && out.size() < page->max_results; ++it) {
    const Namespace& ns = *it->second.ns.value;
    bool keep = true;
    for (const ListFilter& f : *filters) {
      if (f.name == "TYPE") {
        keep = keep && matches(f, "HTTP");
      } else if (f.name == "NAME" || f.name == "HTTP_NAME") {
        keep = keep && matches(f, ns.name);
      } else {
        keep = keep && f.values[0] == "SELF";
      }
    }
    last = it->first;
    if (keep) {
      out.push_back(namespace_json(it->second, output_, true));
    }
  }
  json::object result{{"Namespaces", std::move(out)}};
  if (it != namespaces.end()) {
    result["NextToken"] = make_page_token("ListNamespaces", last);
  }
  reply(done, result);
}

void Api::update_http_namespace(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto id = r.string("Id", Presence::Required, 1, 255);
  auto token = r.string("UpdaterRequestId", Presence::Optional, 0, 64);
  const json::object* change = r.object("Namespace", Presence::Required);
  std::optional<std::string> description;
  if (change != nullptr) {
    description = r.child(*change, "Namespace").string("Description", Presence::Required, 0, 1024);
  }
  if (error) {
    return fail(done, *error);
  }
  auto resolved = resolve(id, ResourceName::Type::Namespace, "Id", done);
  if (!resolved) {
    return;
  }
  UpdateNamespaceArgs args{std::move(*resolved), std::move(*description), new_operation_id(),
                           idempotency("UpdateHttpNamespace", token, body, "UpdaterRequestId"),
                           now()};
  submit(make_mutation("UpdateHttpNamespace", std::move(args), &control::update_namespace), done);
}

void Api::delete_namespace(const json::object& body, Done& done) {
  auto id = read_only_id(body, ResourceName::Type::Namespace, done);
  if (!id) {
    return;
  }
  DeleteNamespaceArgs args{std::move(id->resolved), new_operation_id(), now()};
  submit(make_mutation("DeleteNamespace", std::move(args), &control::delete_namespace), done);
}

void Api::dns_namespace(const json::object&, Done& done) {
  fail(done, invalid_input("ferry-control serves HTTP namespaces only: DNS namespaces (private or "
                           "public, backed by Route 53) are not supported. Use "
                           "CreateHttpNamespace and DiscoverInstances instead."));
}

}  // namespace ferry::control
