#include "discovery/namespace_snapshot.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <set>

#include <boost/json.hpp>

#include "discovery/cloud_map_ids.h"
#include "discovery/service_attributes.h"

namespace ferry::discovery {
namespace json = boost::json;

namespace {

// The snapshot is four levels deep (top, services, instances, attributes);
// anything deeper is not a snapshot.
constexpr std::size_t kMaxDepth = 8;
constexpr std::size_t kMaxNameBytes = 1024;

// Collects the first error with its path; later checks become no-ops.
class Checker {
 public:
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  bool fail(const std::string& path, std::string_view what) {
    if (error_.empty()) {
      error_ = path.empty() ? std::string(what) : path + ": " + std::string(what);
    }
    return false;
  }

  const json::object* object(const json::value& v, const std::string& path) {
    if (const auto* o = v.if_object()) {
      return o;
    }
    fail(path, "must be an object");
    return nullptr;
  }
  const json::array* array(const json::object& o, std::string_view key, const std::string& path) {
    const json::value* v = o.if_contains(key);
    if (v != nullptr && v->is_array()) {
      return &v->get_array();
    }
    fail(join(path, key), v == nullptr ? "is missing" : "must be an array");
    return nullptr;
  }
  std::optional<std::string_view> string(const json::object& o, std::string_view key,
                                         const std::string& path, std::size_t max_bytes) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) {
      fail(join(path, key), v == nullptr ? "is missing" : "must be a string");
      return std::nullopt;
    }
    const json::string& s = v->get_string();
    if (s.empty() || s.size() > max_bytes) {
      fail(join(path, key), "must be 1-" + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    return std::string_view(s.data(), s.size());
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

 private:
  std::string error_;
};

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '!' && c <= '~'; });
}

std::optional<filters::HealthStatus> parse_health(std::string_view text) {
  if (text == "HEALTHY") {
    return filters::HealthStatus::Healthy;
  }
  if (text == "UNHEALTHY") {
    return filters::HealthStatus::Unhealthy;
  }
  if (text == "UNKNOWN") {
    return filters::HealthStatus::Unknown;
  }
  return std::nullopt;
}

// Checks the reserved address attributes and derives the endpoint.
bool read_endpoint(Checker& check, InstanceRecord& instance, const std::string& path) {
  const auto get = [&](std::string_view key) -> const std::string* {
    auto it = instance.attributes.find(key);
    return it == instance.attributes.end() ? nullptr : &it->second;
  };
  const std::string* v4 = get(kIpv4Attribute);
  const std::string* v6 = get(kIpv6Attribute);
  const std::string* port_text = get(kPortAttribute);
  in_addr a4{};
  in6_addr a6{};
  if (v4 != nullptr && inet_pton(AF_INET, v4->c_str(), &a4) != 1) {
    return check.fail(path + "." + std::string(kIpv4Attribute), "is not an IPv4 address");
  }
  if (v6 != nullptr && inet_pton(AF_INET6, v6->c_str(), &a6) != 1) {
    return check.fail(path + "." + std::string(kIpv6Attribute), "is not an IPv6 address");
  }
  std::uint32_t port = 0;
  if (port_text != nullptr) {
    const char* end = port_text->data() + port_text->size();
    const auto [ptr, ec] = std::from_chars(port_text->data(), end, port);
    if (ec != std::errc() || ptr != end || port == 0 || port > 65535 || port_text->size() > 5) {
      return check.fail(path + "." + std::string(kPortAttribute), "is not a port (1-65535)");
    }
  }
  if (port != 0 && (v4 != nullptr || v6 != nullptr)) {
    const std::string text = v4 != nullptr ? *v4 + ":" + *port_text : "[" + *v6 + "]:" + *port_text;
    instance.endpoint = core::SocketAddress::parse(text);
  }
  return true;
}

bool read_attributes(Checker& check, const json::object& o, InstanceRecord& instance,
                     const std::string& path, const SnapshotLimits& limits) {
  const json::value* v = o.if_contains("attributes");
  const std::string at = path + ".attributes";
  if (v == nullptr || !v->is_object()) {
    return check.fail(at, v == nullptr ? "is missing" : "must be an object");
  }
  const json::object& attrs = v->get_object();
  if (attrs.size() > limits.max_attributes) {
    return check.fail(at, "more than " + std::to_string(limits.max_attributes) + " attributes");
  }
  instance.attributes.reserve(attrs.size());
  for (const auto& kv : attrs) {
    const std::string_view key = kv.key();
    if (key.empty() || key.size() > limits.max_attribute_key || !is_printable_ascii(key)) {
      return check.fail(at, "an attribute name is not 1-" +
                                std::to_string(limits.max_attribute_key) +
                                " printable ASCII characters");
    }
    const json::string* value = kv.value().if_string();
    if (value == nullptr || value->size() > limits.max_attribute_value) {
      return check.fail(
          at + "." + std::string(key),
          "must be a string of at most " + std::to_string(limits.max_attribute_value) + " bytes");
    }
    instance.attributes.emplace(std::string(key), std::string(value->data(), value->size()));
  }
  std::string error;
  if (!parse_published_service(instance.attributes, error)) {
    return check.fail(at, error);
  }
  return read_endpoint(check, instance, at);
}

bool read_instance(Checker& check, const json::value& v, ServiceRecord& service,
                   const std::string& path, const SnapshotLimits& limits) {
  const json::object* o = check.object(v, path);
  if (o == nullptr) {
    return false;
  }
  InstanceRecord instance;
  auto id = check.string(*o, "id", path, 64);
  if (!id) {
    return false;
  }
  if (!is_instance_id(*id)) {
    return check.fail(path + ".id", "is not an instance id ([0-9a-zA-Z_/:.@-], at most 64)");
  }
  instance.id = *id;
  auto health_text = check.string(*o, "health", path, 16);
  auto health = health_text ? parse_health(*health_text) : std::nullopt;
  if (!health) {
    return check.fail(path + ".health", "must be HEALTHY, UNHEALTHY or UNKNOWN");
  }
  instance.health = *health;
  if (!read_attributes(check, *o, instance, path, limits)) {
    return false;
  }
  service.instances.push_back(std::move(instance));
  return true;
}

bool read_service(Checker& check, const json::value& v, NamespaceSnapshot& out,
                  const std::string& path, const SnapshotLimits& limits, std::size_t& instances) {
  const json::object* o = check.object(v, path);
  if (o == nullptr) {
    return false;
  }
  ServiceRecord service;
  auto name = check.string(*o, "name", path, kMaxNameBytes);
  auto id = check.string(*o, "id", path, 68);
  if (!name || !id) {
    return false;
  }
  if (!is_service_id(*id)) {
    return check.fail(path + ".id", "is not a service id (srv- and letters or digits)");
  }
  service.name = *name;
  service.id = *id;
  const json::array* list = check.array(*o, "instances", path);
  if (list == nullptr) {
    return false;
  }
  instances += list->size();
  if (instances > limits.max_instances) {
    return check.fail(
        path, "more than " + std::to_string(limits.max_instances) + " instances in the namespace");
  }
  service.instances.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (!read_instance(check, (*list)[i], service, path + ".instances[" + std::to_string(i) + "]",
                       limits)) {
      return false;
    }
  }
  std::sort(service.instances.begin(), service.instances.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  auto dup = std::adjacent_find(service.instances.begin(), service.instances.end(),
                                [](const auto& a, const auto& b) { return a.id == b.id; });
  if (dup != service.instances.end()) {
    return check.fail(path, "instance id " + dup->id + " appears twice");
  }
  out.services.push_back(std::move(service));
  return true;
}

bool read_top(Checker& check, const json::object& o, NamespaceSnapshot& out,
              const SnapshotLimits& limits) {
  auto ns = check.string(o, "namespace", "", kMaxNameBytes);
  auto epoch = check.string(o, "epoch", "", 256);
  if (!ns || !epoch) {
    return false;
  }
  out.namespace_name = *ns;
  out.epoch = *epoch;
  const json::value* version = o.if_contains("version");
  if (version == nullptr || !(version->is_int64() || version->is_uint64())) {
    return check.fail("version", version == nullptr ? "is missing" : "must be an integer");
  }
  if (version->is_uint64() || version->get_int64() < 0) {
    return check.fail("version", "must be 0 to 2^63-1");
  }
  out.version = version->get_int64();
  const json::array* services = check.array(o, "services", "");
  if (services == nullptr) {
    return false;
  }
  if (services->size() > limits.max_services) {
    return check.fail("services", "more than " + std::to_string(limits.max_services));
  }
  std::size_t instances = 0;
  out.services.reserve(services->size());
  for (std::size_t i = 0; i < services->size(); ++i) {
    if (!read_service(check, (*services)[i], out, "services[" + std::to_string(i) + "]", limits,
                      instances)) {
      return false;
    }
  }
  std::sort(out.services.begin(), out.services.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < out.services.size(); ++i) {
    if (i > 0 && out.services[i].name == out.services[i - 1].name) {
      return check.fail("services", "service name " + out.services[i].name + " appears twice");
    }
    if (!ids.insert(out.services[i].id).second) {
      return check.fail("services", "service id " + out.services[i].id + " appears twice");
    }
  }
  return true;
}

}  // namespace

const ServiceRecord* NamespaceSnapshot::find_service(std::string_view name) const {
  auto it = std::lower_bound(services.begin(), services.end(), name,
                             [](const ServiceRecord& s, std::string_view n) { return s.name < n; });
  return it != services.end() && it->name == name ? &*it : nullptr;
}

std::size_t NamespaceSnapshot::instance_count() const {
  std::size_t n = 0;
  for (const auto& s : services) {
    n += s.instances.size();
  }
  return n;
}

SnapshotParse snapshot_from_json(const json::value& value, const SnapshotLimits& limits,
                                 std::string_view expected_namespace) {
  Checker check;
  SnapshotParse out;
  const json::object* top = check.object(value, "snapshot");
  NamespaceSnapshot snapshot;
  if (top != nullptr && read_top(check, *top, snapshot, limits)) {
    if (!expected_namespace.empty() && snapshot.namespace_name != expected_namespace) {
      check.fail("namespace", "is " + snapshot.namespace_name.substr(0, 256) + ", expected " +
                                  std::string(expected_namespace));
    } else {
      out.snapshot = std::move(snapshot);
    }
  }
  out.error = check.error();
  return out;
}

SnapshotParse parse_snapshot(std::string_view text, const SnapshotLimits& limits,
                             std::string_view expected_namespace) {
  if (text.size() > limits.max_bytes) {
    return {std::nullopt, "snapshot of " + std::to_string(text.size()) + " bytes exceeds " +
                              std::to_string(limits.max_bytes)};
  }
  json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  // The document lives only while it is read into the snapshot: one arena,
  // in blocks sized to the text, freed whole afterwards. Node by node from
  // the heap, a large snapshot would leave holes the allocator keeps.
  json::monotonic_resource arena(text.size() * 2);
  json::value value = json::parse(text, ec, &arena, options);
  if (ec) {
    return {std::nullopt, "not JSON: " + ec.message()};
  }
  return snapshot_from_json(value, limits, expected_namespace);
}

std::optional<SnapshotMarker> peek_marker(std::string_view text, const SnapshotLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return std::nullopt;
  }
  json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  const json::value value = json::parse(text, ec, {}, options);
  const json::object* o = ec ? nullptr : value.if_object();
  if (o == nullptr) {
    return std::nullopt;
  }
  const json::value* epoch = o->if_contains("epoch");
  const json::value* version = o->if_contains("version");
  if (epoch == nullptr || !epoch->is_string() || version == nullptr || !version->is_int64()) {
    return std::nullopt;
  }
  return SnapshotMarker{std::string(epoch->get_string()), version->get_int64()};
}

std::string_view health_name(filters::HealthStatus health) {
  switch (health) {
    case filters::HealthStatus::Healthy:
      return "HEALTHY";
    case filters::HealthStatus::Unhealthy:
      return "UNHEALTHY";
    case filters::HealthStatus::Unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string snapshot_to_json(const NamespaceSnapshot& snapshot) {
  // One arena for the whole document, freed at once (see parse_snapshot).
  json::monotonic_resource arena;
  const json::storage_ptr sp(&arena);
  json::array services(sp);
  services.reserve(snapshot.services.size());
  for (const ServiceRecord& service : snapshot.services) {
    json::array instances(sp);
    instances.reserve(service.instances.size());
    for (const InstanceRecord& instance : service.instances) {
      json::object attributes(sp);
      for (const auto& [key, value] : instance.attributes) {
        attributes.emplace(key, value);
      }
      instances.push_back(json::object({{"id", instance.id},
                                        {"health", health_name(instance.health)},
                                        {"attributes", std::move(attributes)}},
                                       sp));
    }
    services.push_back(json::object(
        {{"name", service.name}, {"id", service.id}, {"instances", std::move(instances)}}, sp));
  }
  return json::serialize(json::object({{"namespace", snapshot.namespace_name},
                                       {"epoch", snapshot.epoch},
                                       {"version", snapshot.version},
                                       {"services", std::move(services)}},
                                      sp));
}

}  // namespace ferry::discovery
