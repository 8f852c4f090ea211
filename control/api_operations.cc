// Operations and tagging actions of Api (api.h).
#include <charconv>

#include <boost/json.hpp>

#include "control/api.h"
#include "control/ids.h"

namespace ferry::control {
namespace json = boost::json;
using Presence = RequestReader::Presence;

namespace {

std::optional<double> parse_epoch(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

bool in(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

void Api::get_operation(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto id = r.string("OperationId", Presence::Required, 1, 255);
  r.string("OwnerAccount", Presence::Optional, 12, 12);
  if (error) {
    return fail(done, *error);
  }
  const auto* entry = registry_.state().find_operation(*id);
  if (entry == nullptr) {
    return fail(done, api_error("OperationNotFound", "No operation exists with the ID " + *id));
  }
  reply(done, {{"Operation", operation_json(*entry->value, output_)}});
}

namespace {

// Checks ListOperations' filters (conditions, value counts, enum values, the
// UPDATE_DATE range) and reads the date range; false after recording an error.
bool check_operation_filters(RequestReader& r, const std::vector<Api::ListFilter>& filters,
                             double& from, double& to) {
  for (const Api::ListFilter& f : filters) {
    if (f.name == "NAMESPACE_ID" || f.name == "SERVICE_ID") {
      if (!Api::check_filter(r, f, {"EQ"}, 1, 1)) {
        return false;
      }
    } else if (f.name == "STATUS" || f.name == "TYPE") {
      if (!Api::check_filter(r, f, {"EQ", "IN"}, 1, 6)) {
        return false;
      }
      for (const std::string& v : f.values) {
        const bool known = f.name == "TYPE" ? parse_operation_type(v).has_value()
                                            : (v == "SUBMITTED" || v == "PENDING" ||
                                               v == "SUCCESS" || v == "FAIL");
        if (!known) {
          r.fail("Filters", "unknown " + f.name + " value " + v.substr(0, 32));
          return false;
        }
      }
    } else {
      if (!Api::check_filter(r, f, {"BETWEEN"}, 2, 2)) {
        return false;
      }
      auto a = parse_epoch(f.values[0]);
      auto b = parse_epoch(f.values[1]);
      if (!a || !b) {
        r.fail("Filters", "UPDATE_DATE takes two Unix times (seconds)");
        return false;
      }
      from = *a;
      to = *b;
    }
  }
  return true;
}

bool operation_matches(const Operation& op, const std::vector<Api::ListFilter>& filters,
                       double from, double to) {
  for (const Api::ListFilter& f : filters) {
    const bool ok = f.name == "NAMESPACE_ID" ? op.namespace_id == f.values[0]
                    : f.name == "SERVICE_ID" ? op.service_id == f.values[0]
                    : f.name == "STATUS"     ? in(f.values, op.status)
                    : f.name == "TYPE"       ? in(f.values, to_string(op.type))
                                             : op.update_date >= from && op.update_date <= to;
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Api::list_operations(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto page = read_page(r, "ListOperations", 100, 100);
  auto filters =
      read_filters(r, "Filters", {"NAMESPACE_ID", "SERVICE_ID", "STATUS", "TYPE", "UPDATE_DATE"});
  double from = 0;
  double to = 0;
  if (error || !check_operation_filters(r, *filters, from, to)) {
    return fail(done, *error);
  }
  const auto& operations = registry_.state().operations();
  auto it = page->after ? operations.upper_bound(*page->after) : operations.begin();
  json::array out;
  std::string last;
  for (; it != operations.end() && out.size() < page->max_results; ++it) {
    const Operation& op = *it->second.value;
    last = it->first;
    if (operation_matches(op, *filters, from, to)) {
      out.push_back(json::object{{"Id", op.id}, {"Status", op.status}});
    }
  }
  json::object result{{"Operations", std::move(out)}};
  if (it != operations.end()) {
    result["NextToken"] = make_page_token("ListOperations", last);
  }
  reply(done, result);
}

void Api::tag_resource(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto arn = r.string("ResourceARN", Presence::Required, 1, 1011);
  if (!r.object_has("Tags")) {
    r.fail("Tags", "Member must not be null");
  }
  auto tags = read_tags(r, "Tags");
  if (error) {
    return fail(done, *error);
  }
  auto resource = parse_resource_arn(*arn, config_.region, config_.account_id);
  if (!resource) {
    return fail(done, api_error("ResourceNotFoundException",
                                "The operation can't be completed because the resource " + *arn +
                                    " was not found."));
  }
  TagArgs args{std::move(*arn),
               resource->type,
               std::move(resource->id),
               std::move(*tags),
               {},
               config_.limits.max_tags_per_resource};
  submit(make_mutation("TagResource", std::move(args), &control::change_tags), done);
}

void Api::untag_resource(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto arn = r.string("ResourceARN", Presence::Required, 1, 1011);
  const json::array* keys = r.array("TagKeys", Presence::Required, 0, 200);
  if (error) {
    return fail(done, *error);
  }
  std::vector<std::string> remove;
  for (const json::value& k : *keys) {
    if (!k.is_string() || k.get_string().empty() || k.get_string().size() > 128) {
      return fail(done, invalid_input("Value at 'TagKeys' failed to satisfy constraint: Member "
                                      "must be a list of strings of length 1 to 128"));
    }
    remove.emplace_back(k.get_string());
  }
  auto resource = parse_resource_arn(*arn, config_.region, config_.account_id);
  if (!resource) {
    return fail(done, api_error("ResourceNotFoundException",
                                "The operation can't be completed because the resource " + *arn +
                                    " was not found."));
  }
  TagArgs args{std::move(*arn),         resource->type,
               std::move(resource->id), {},
               std::move(remove),       config_.limits.max_tags_per_resource};
  submit(make_mutation("UntagResource", std::move(args), &control::change_tags), done);
}

void Api::list_tags_for_resource(const json::object& body, Done& done) {
  std::optional<ApiError> error;
  RequestReader r(body, error);
  auto arn = r.string("ResourceARN", Presence::Required, 1, 1011);
  if (error) {
    return fail(done, *error);
  }
  auto resource = parse_resource_arn(*arn, config_.region, config_.account_id);
  const std::vector<Tag>* tags = nullptr;
  if (resource && resource->type == ResourceName::Type::Namespace) {
    if (const auto* e = registry_.state().find_namespace(resource->id)) {
      tags = &e->ns.value->tags;
    }
  } else if (resource) {
    if (const auto* e = registry_.state().find_service(resource->id)) {
      tags = &e->service.value->tags;
    }
  }
  if (tags == nullptr) {
    return fail(done, api_error("ResourceNotFoundException",
                                "The operation can't be completed because the resource " + *arn +
                                    " was not found."));
  }
  reply(done, {{"Tags", tags_json(*tags)}});
}

}  // namespace ferry::control
