#include "control/api_format.h"

#include <algorithm>
#include <vector>

#include <boost/json.hpp>

namespace ferry::control {
namespace json = boost::json;
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) {
    out.push_back(kBase64Url[(buffer << (6 - bits)) & 0x3f]);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    const std::size_t v = kBase64Url.find(c);
    if (v == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

json::object attributes_json(const Attributes& attributes) {
  json::object out;
  out.reserve(attributes.size());
  for (const auto& [k, v] : attributes) {
    out[k] = v;
  }
  return out;
}

json::array tags_json(const std::vector<Tag>& tags) {
  json::array out;
  for (const Tag& t : tags) {
    out.push_back(json::object{{"Key", t.key}, {"Value", t.value}});
  }
  return out;
}

json::object namespace_json(const RegistryState::NamespaceEntry& entry, const OutputContext& ctx,
                            bool summary) {
  const Namespace& ns = *entry.ns.value;
  json::object out{
      {"Id", ns.id},
      {"Arn", ns.arn},
      {"ResourceOwner", ctx.account_id},
      {"Name", ns.name},
      {"Type", "HTTP"},
      {"ServiceCount", entry.service_ids.size()},
      {"Properties", json::object{{"HttpProperties", json::object{{"HttpName", ns.name}}}}},
      {"CreateDate", ns.create_date},
  };
  if (!ns.description.empty()) {
    out["Description"] = ns.description;
  }
  if (!summary && !ns.creator_request_id.empty()) {
    out["CreatorRequestId"] = ns.creator_request_id;
  }
  return out;
}

json::object service_json(const Service& service, std::size_t instance_count,
                          const OutputContext& ctx, bool summary) {
  json::object out{
      {"Id", service.id},
      {"Arn", service.arn},
      {"ResourceOwner", ctx.account_id},
      {"Name", service.name},
      {"Type", "HTTP"},
      {"InstanceCount", instance_count},
      {"CreateDate", service.create_date},
      {"CreatedByAccount", ctx.account_id},
  };
  if (!summary) {
    out["NamespaceId"] = service.namespace_id;
    if (!service.creator_request_id.empty()) {
      out["CreatorRequestId"] = service.creator_request_id;
    }
  }
  if (!service.description.empty()) {
    out["Description"] = service.description;
  }
  if (service.custom_health) {
    json::object custom;
    if (service.failure_threshold) {
      custom["FailureThreshold"] = *service.failure_threshold;
    }
    out["HealthCheckCustomConfig"] = std::move(custom);
  }
  return out;
}

json::object operation_json(const Operation& op, const OutputContext& ctx) {
  json::object targets;
  if (!op.namespace_id.empty()) {
    targets["NAMESPACE"] = op.namespace_id;
  }
  if (!op.service_id.empty()) {
    targets["SERVICE"] = op.service_id;
  }
  if (!op.instance_id.empty()) {
    targets["INSTANCE"] = op.instance_id;
  }
  json::object out{{"Id", op.id},
                   {"OwnerAccount", ctx.account_id},
                   {"Type", to_string(op.type)},
                   {"Status", op.status},
                   {"CreateDate", op.create_date},
                   {"UpdateDate", op.update_date},
                   {"Targets", std::move(targets)}};
  if (!op.error_code.empty()) {
    out["ErrorCode"] = op.error_code;
    out["ErrorMessage"] = op.error_message;
  }
  return out;
}

std::string make_page_token(std::string_view listing, std::string_view last_key) {
  std::string raw(listing);
  raw.push_back(':');
  raw.append(last_key);
  return base64url_encode(raw);
}

std::optional<std::string> parse_page_token(std::string_view listing, std::string_view token) {
  auto raw = base64url_decode(token);
  if (!raw || raw->size() <= listing.size() || raw->compare(0, listing.size(), listing) != 0 ||
      (*raw)[listing.size()] != ':') {
    return std::nullopt;
  }
  return raw->substr(listing.size() + 1);
}

std::string canonical_json(const json::value& value) {
  if (value.is_object()) {
    std::vector<std::pair<std::string_view, const json::value*>> members;
    for (const auto& kv : value.get_object()) {
      members.emplace_back(kv.key(), &kv.value());
    }
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = "{";
    for (const auto& [k, v] : members) {
      if (out.size() > 1) {
        out.push_back(',');
      }
      out.append(json::serialize(json::string_view(k))).push_back(':');
      out.append(canonical_json(*v));
    }
    out.push_back('}');
    return out;
  }
  if (value.is_array()) {
    std::string out = "[";
    for (const json::value& v : value.get_array()) {
      if (out.size() > 1) {
        out.push_back(',');
      }
      out.append(canonical_json(v));
    }
    out.push_back(']');
    return out;
  }
  return json::serialize(value);
}

}  // namespace ferry::control
