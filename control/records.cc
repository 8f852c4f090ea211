#include "control/records.h"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

namespace ferry::control {
namespace json = boost::json;
namespace {

constexpr std::array<std::pair<OperationType, std::string_view>, 6> kOperationTypes = {{
    {OperationType::CreateNamespace, "CREATE_NAMESPACE"},
    {OperationType::DeleteNamespace, "DELETE_NAMESPACE"},
    {OperationType::UpdateNamespace, "UPDATE_NAMESPACE"},
    {OperationType::UpdateService, "UPDATE_SERVICE"},
    {OperationType::RegisterInstance, "REGISTER_INSTANCE"},
    {OperationType::DeregisterInstance, "DEREGISTER_INSTANCE"},
}};

struct Prefix {
  RecordKind kind;
  std::string_view text;
};
constexpr std::array<Prefix, 8> kPrefixes = {{
    {RecordKind::Namespace, "ns/"},
    {RecordKind::Service, "svc/"},
    {RecordKind::Instance, "inst/"},
    {RecordKind::Operation, "op/"},
    {RecordKind::Idempotency, "idem/"},
    {RecordKind::Heartbeat, "hb/"},
    {RecordKind::NamespaceVersion, "nsrev/"},
    {RecordKind::ServiceRevision, "svcrev/"},
}};

std::string join(std::string_view prefix, std::string_view a, std::string_view b = {}) {
  std::string out(prefix);
  out.append(a);
  if (!b.empty()) {
    out.push_back('/');
    out.append(b);
  }
  return out;
}

json::array encode_tags(const std::vector<Tag>& tags) {
  json::array out;
  for (const Tag& t : tags) {
    out.push_back(json::object{{"k", t.key}, {"v", t.value}});
  }
  return out;
}

// Readers of stored JSON: a missing or mistyped member throws, which
// decode_record turns into "damaged record".
std::string str(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) {
    return {};
  }
  return std::string(v->as_string());
}
double num(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v == nullptr ? 0.0 : v->to_number<double>();
}
std::vector<Tag> tags_of(const json::object& o) {
  std::vector<Tag> out;
  if (const json::value* v = o.if_contains("tags")) {
    for (const json::value& t : v->as_array()) {
      out.push_back({str(t.as_object(), "k"), str(t.as_object(), "v")});
    }
  }
  return out;
}

json::object encode(const Namespace& ns) {
  return {{"id", ns.id},
          {"arn", ns.arn},
          {"name", ns.name},
          {"description", ns.description},
          {"creator_request_id", ns.creator_request_id},
          {"create_date", ns.create_date},
          {"tags", encode_tags(ns.tags)}};
}

json::object encode(const Service& s) {
  json::object out{{"id", s.id},
                   {"arn", s.arn},
                   {"name", s.name},
                   {"namespace_id", s.namespace_id},
                   {"description", s.description},
                   {"creator_request_id", s.creator_request_id},
                   {"create_date", s.create_date},
                   {"custom_health", s.custom_health},
                   {"tags", encode_tags(s.tags)}};
  if (s.failure_threshold) {
    out["failure_threshold"] = *s.failure_threshold;
  }
  return out;
}

json::object encode(const Instance& i) {
  json::object attributes;
  for (const auto& [k, v] : i.attributes) {
    attributes[k] = v;
  }
  return {{"service_id", i.service_id},
          {"id", i.id},
          {"creator_request_id", i.creator_request_id},
          {"attributes", std::move(attributes)},
          {"health", to_string(i.health)},
          {"create_date", i.create_date},
          {"update_date", i.update_date}};
}

json::object encode(const Operation& op) {
  return {{"id", op.id},
          {"type", to_string(op.type)},
          {"status", op.status},
          {"error_code", op.error_code},
          {"error_message", op.error_message},
          {"create_date", op.create_date},
          {"update_date", op.update_date},
          {"namespace_id", op.namespace_id},
          {"service_id", op.service_id},
          {"instance_id", op.instance_id}};
}

json::object encode(const IdempotencyRecord& r) {
  return {{"key", r.key},
          {"fingerprint", r.fingerprint},
          {"reply", r.reply},
          {"operation_id", r.operation_id},
          {"create_date", r.create_date}};
}

json::object encode(const Heartbeat& h) {
  return {{"service_id", h.service_id}, {"instance_id", h.instance_id}, {"at", h.at}};
}

RecordValue decode_object(RecordKind kind, const json::object& o) {
  switch (kind) {
    case RecordKind::Namespace:
      return std::make_shared<const Namespace>(
          Namespace{str(o, "id"), str(o, "arn"), str(o, "name"), str(o, "description"),
                    str(o, "creator_request_id"), num(o, "create_date"), tags_of(o)});
    case RecordKind::Service: {
      Service s{str(o, "id"),          str(o, "arn"),
                str(o, "name"),        str(o, "namespace_id"),
                str(o, "description"), str(o, "creator_request_id"),
                num(o, "create_date"), o.at("custom_health").as_bool(),
                std::nullopt,          tags_of(o)};
      if (const json::value* t = o.if_contains("failure_threshold")) {
        s.failure_threshold = static_cast<int>(t->as_int64());
      }
      return std::make_shared<const Service>(std::move(s));
    }
    case RecordKind::Instance: {
      Instance i;
      i.service_id = str(o, "service_id");
      i.id = str(o, "id");
      i.creator_request_id = str(o, "creator_request_id");
      for (const auto& kv : o.at("attributes").as_object()) {
        i.attributes.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
      }
      const auto health = parse_health_status(str(o, "health"));
      if (!health) {
        throw std::invalid_argument("bad health status");
      }
      i.health = *health;
      i.create_date = num(o, "create_date");
      i.update_date = num(o, "update_date");
      return make_instance(std::move(i));
    }
    case RecordKind::Operation: {
      const auto type = parse_operation_type(str(o, "type"));
      if (!type) {
        throw std::invalid_argument("bad operation type");
      }
      return std::make_shared<const Operation>(
          Operation{str(o, "id"), *type, str(o, "status"), str(o, "error_code"),
                    str(o, "error_message"), num(o, "create_date"), num(o, "update_date"),
                    str(o, "namespace_id"), str(o, "service_id"), str(o, "instance_id")});
    }
    case RecordKind::Idempotency:
      return std::make_shared<const IdempotencyRecord>(
          IdempotencyRecord{str(o, "key"), str(o, "fingerprint"), str(o, "reply"),
                            str(o, "operation_id"), num(o, "create_date")});
    case RecordKind::Heartbeat:
      return std::make_shared<const Heartbeat>(
          Heartbeat{str(o, "service_id"), str(o, "instance_id"), num(o, "at")});
    case RecordKind::NamespaceVersion:
    case RecordKind::ServiceRevision:
      return Marker{};
  }
  return std::monostate{};
}

// The id the key names must be the id the body holds: a record copied under
// another key is damage, not data.
bool key_matches(const RecordValue& value, std::string_view key) {
  return std::visit(
      [&](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::shared_ptr<const Namespace>>) {
          return key == namespace_key(v->id);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const Service>>) {
          return key == service_key(v->id);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const Instance>>) {
          return key == instance_key(v->service_id, v->id);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const Operation>>) {
          return key == operation_key(v->id);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const IdempotencyRecord>>) {
          return key == idempotency_key(v->key);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const Heartbeat>>) {
          return key == heartbeat_key(v->service_id, v->instance_id);
        } else {
          return true;
        }
      },
      value);
}

}  // namespace

std::string_view to_string(HealthStatus status) {
  switch (status) {
    case HealthStatus::Healthy:
      return "HEALTHY";
    case HealthStatus::Unhealthy:
      return "UNHEALTHY";
    case HealthStatus::Unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::optional<HealthStatus> parse_health_status(std::string_view text) {
  if (text == "HEALTHY") {
    return HealthStatus::Healthy;
  }
  if (text == "UNHEALTHY") {
    return HealthStatus::Unhealthy;
  }
  if (text == "UNKNOWN") {
    return HealthStatus::Unknown;
  }
  return std::nullopt;
}

std::string_view to_string(OperationType type) {
  for (const auto& [t, name] : kOperationTypes) {
    if (t == type) {
      return name;
    }
  }
  return "";
}

std::optional<OperationType> parse_operation_type(std::string_view text) {
  for (const auto& [t, name] : kOperationTypes) {
    if (name == text) {
      return t;
    }
  }
  return std::nullopt;
}

std::shared_ptr<const Instance> make_instance(Instance instance) {
  std::sort(instance.attributes.begin(), instance.attributes.end());
  instance.id_json = json::serialize(json::string_view(instance.id));
  json::object attributes;
  attributes.reserve(instance.attributes.size());
  for (const auto& [k, v] : instance.attributes) {
    attributes[k] = v;
  }
  instance.attributes_json = json::serialize(attributes);
  return std::make_shared<const Instance>(std::move(instance));
}

std::string namespace_key(std::string_view id) {
  return join("ns/", id);
}
std::string service_key(std::string_view id) {
  return join("svc/", id);
}
std::string instance_key(std::string_view service_id, std::string_view instance_id) {
  return join("inst/", service_id, instance_id);
}
std::string operation_key(std::string_view id) {
  return join("op/", id);
}
std::string idempotency_key(std::string_view scoped_token) {
  return join("idem/", scoped_token);
}
std::string heartbeat_key(std::string_view service_id, std::string_view instance_id) {
  return join("hb/", service_id, instance_id);
}
std::string namespace_version_key(std::string_view namespace_id) {
  return join("nsrev/", namespace_id);
}
std::string service_revision_key(std::string_view service_id) {
  return join("svcrev/", service_id);
}

std::optional<RecordKind> kind_of_key(std::string_view key) {
  for (const Prefix& p : kPrefixes) {
    if (key.substr(0, p.text.size()) == p.text && key.size() > p.text.size()) {
      return p.kind;
    }
  }
  return std::nullopt;
}

std::string encode_record(const RecordValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate> || std::is_same_v<T, Marker>) {
          return {};
        } else {
          return json::serialize(encode(*v));
        }
      },
      value);
}

std::optional<RecordValue> decode_record(RecordKind kind, std::string_view key,
                                         std::string_view body, std::string& error) {
  if (kind == RecordKind::NamespaceVersion || kind == RecordKind::ServiceRevision) {
    return Marker{};
  }
  try {
    json::value parsed = json::parse(body);
    RecordValue value = decode_object(kind, parsed.as_object());
    if (!key_matches(value, key)) {
      error = "record stored under the wrong key";
      return std::nullopt;
    }
    return value;
  } catch (const std::exception& e) {
    error = std::string("damaged record: ") + e.what();
    return std::nullopt;
  }
}

RecordChange put_namespace(std::shared_ptr<const Namespace> ns) {
  std::string key = namespace_key(ns->id);
  return {RecordKind::Namespace, std::move(key), std::move(ns)};
}
RecordChange put_service(std::shared_ptr<const Service> service) {
  std::string key = service_key(service->id);
  return {RecordKind::Service, std::move(key), std::move(service)};
}
RecordChange put_instance(std::shared_ptr<const Instance> instance) {
  std::string key = instance_key(instance->service_id, instance->id);
  return {RecordKind::Instance, std::move(key), std::move(instance)};
}
RecordChange put_operation(std::shared_ptr<const Operation> op) {
  std::string key = operation_key(op->id);
  return {RecordKind::Operation, std::move(key), std::move(op)};
}
RecordChange put_idempotency(std::shared_ptr<const IdempotencyRecord> record) {
  std::string key = idempotency_key(record->key);
  return {RecordKind::Idempotency, std::move(key), std::move(record)};
}
RecordChange put_heartbeat(std::shared_ptr<const Heartbeat> heartbeat) {
  std::string key = heartbeat_key(heartbeat->service_id, heartbeat->instance_id);
  return {RecordKind::Heartbeat, std::move(key), std::move(heartbeat)};
}
RecordChange touch_namespace(std::string_view namespace_id) {
  return {RecordKind::NamespaceVersion, namespace_version_key(namespace_id), Marker{}};
}
RecordChange touch_service_revision(std::string_view service_id) {
  return {RecordKind::ServiceRevision, service_revision_key(service_id), Marker{}};
}
RecordChange delete_record(RecordKind kind, std::string key) {
  return {kind, std::move(key), std::monostate{}};
}

}  // namespace ferry::control
