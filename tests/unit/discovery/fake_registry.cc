#include "tests/unit/discovery/fake_registry.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

namespace ferry::discovery::test {
namespace json = boost::json;
namespace http1 = core::http1;

bool run_until(boost::asio::io_context& io, ManualScheduler* scheduler,
               const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
    if (scheduler != nullptr) {
      scheduler->run_due();
    }
  }
  return true;
}

namespace {

http1::Response json_reply(std::uint16_t status, const std::string& body) {
  http1::Response r;
  r.status = status;
  r.headers.add("content-type", "application/x-amz-json-1.1");
  r.body = body;
  return r;
}

http1::Response error_reply(std::uint16_t status, const std::string& type,
                            const std::string& message, json::object extra = {}) {
  extra["__type"] = type;
  extra["Message"] = message;
  return json_reply(status, json::serialize(extra));
}

// The first value of the first filter, or "" (no filter: everything).
std::string first_filter_value(const json::object& o) {
  const json::value* filters = o.if_contains("Filters");
  if (filters == nullptr || !filters->is_array() || filters->as_array().empty()) {
    return {};
  }
  const json::value* values = filters->as_array()[0].as_object().if_contains("Values");
  if (values == nullptr || !values->is_array() || values->as_array().empty()) {
    return {};
  }
  return json::value_to<std::string>(values->as_array()[0]);
}

std::string str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

FakeRegistry::FakeRegistry(boost::asio::io_context& io) : io_(io) {
  restart();
}

FakeRegistry::~FakeRegistry() {
  stop();
}

void FakeRegistry::restart() {
  http1::MessageServerOptions options;
  options.max_body_bytes = 64 * 1024 * 1024;
  server_ = std::make_unique<http1::MessageServer>(
      io_, [this](http1::Request r, http1::Responder s) { handle(std::move(r), std::move(s)); },
      options);
  auto address = *core::SocketAddress::parse("127.0.0.1:" + std::to_string(port_));
  if (auto ec = server_->listen(address)) {
    throw std::runtime_error("fake registry: listen: " + ec.message());
  }
  port_ = server_->local_address().port();
}

void FakeRegistry::stop() {
  parked_.clear();
  if (server_) {
    server_->close();
    server_.reset();
  }
}

core::HostPort FakeRegistry::host_port() const {
  return {"127.0.0.1", port_};
}

std::string FakeRegistry::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

int FakeRegistry::count(const std::string& action) const {
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                        [&](const Recorded& r) { return r.action == action; }));
}

void FakeRegistry::fail_next(const std::string& action, int count, std::uint16_t status,
                             const std::string& error_type) {
  for (int i = 0; i < count; ++i) {
    failures_[action].emplace_back(status, error_type);
  }
}

FakeRegistry::Service* FakeRegistry::find_service(const std::string& name) {
  for (auto& [id, s] : services) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

void FakeRegistry::handle(http1::Request request, http1::Responder responder) {
  Recorded rec;
  rec.target = request.head.target;
  rec.body = request.body;
  for (const auto& f : request.head.headers) {
    rec.headers[std::string(f.name)] = std::string(f.value);
  }
  const std::string path = request.head.path.substr(0, request.head.path.find('?'));
  const std::string target = std::string(request.head.headers.get("x-amz-target").value_or(""));
  rec.action = path == "/v1/watch" ? "Watch" : target.substr(target.find('.') + 1);
  requests_.push_back(rec);
  if (verifier_) {
    std::vector<core::HeaderField> fields;
    for (const auto& f : request.head.headers) {
      fields.push_back({f.name, f.value});
    }
    const std::string query = request.head.path.find('?') == std::string::npos
                                  ? std::string()
                                  : request.head.path.substr(request.head.path.find('?') + 1);
    const core::SigningInput input{request.head.method_text, path, query, fields, request.body};
    const auto verdict = verifier_->verify(input, std::chrono::system_clock::now());
    if (!verdict.ok()) {
      return responder.send(
          error_reply(403, std::string(core::sigv4_error_code(verdict.status)), verdict.message));
    }
  }
  for (const std::string& key : {rec.action, std::string("*")}) {
    auto it = failures_.find(key);
    if (it != failures_.end() && !it->second.empty()) {
      auto [status, type] = it->second.front();
      it->second.pop_front();
      return responder.send(error_reply(status, type, "scripted failure"));
    }
  }
  if (rec.action == "Watch") {
    return watch(request, responder);
  }
  responder.send(api(rec.action, request.body));
}

void FakeRegistry::watch(const http1::Request& request, http1::Responder& responder) {
  auto url = boost::urls::parse_origin_form(request.head.path);
  std::string ns;
  std::string held_epoch;
  std::optional<std::int64_t> held_version;
  for (const auto& p : url->params()) {
    if (p.key == "namespace") {
      ns = p.value;
    } else if (p.key == "epoch") {
      held_epoch = p.value;
    } else if (p.key == "version") {
      held_version = std::stoll(p.value);
    }
  }
  auto it = snapshots_.find(ns);
  if (it == snapshots_.end()) {
    return responder.send(error_reply(404, "NamespaceNotFound", "no namespace " + ns));
  }
  const auto marker = peek_marker(it->second, SnapshotLimits{});
  if (marker && held_version && marker->epoch == held_epoch && marker->version == *held_version) {
    parked_.push_back({ns, std::move(responder)});
    return;
  }
  http1::Response r;
  r.headers.add("content-type", "application/json");
  r.body = it->second;
  responder.send(std::move(r));
}

void FakeRegistry::set_snapshot(const std::string& namespace_name, std::string text) {
  snapshots_[namespace_name] = text;
  std::vector<Parked> keep;
  for (Parked& p : parked_) {
    if (p.namespace_name != namespace_name) {
      keep.push_back(std::move(p));
      continue;
    }
    http1::Response r;
    r.headers.add("content-type", "application/json");
    r.body = text;
    p.responder.send(std::move(r));
  }
  parked_ = std::move(keep);
}

void FakeRegistry::expire_watches() {
  for (Parked& p : parked_) {
    http1::Response r;
    r.status = 304;
    p.responder.send(std::move(r));
  }
  parked_.clear();
}

std::size_t FakeRegistry::parked_watches() const {
  return parked_.size();
}

void FakeRegistry::publish_model(const std::string& namespace_name) {
  const std::string ns_id = namespaces.at(namespace_name);
  json::array list;
  for (const auto& [id, s] : services) {
    json::array instances;
    for (const auto& [iid, inst] : s.instances) {
      json::object attrs;
      for (const auto& [k, v] : inst.attributes) {
        attrs[k] = v;
      }
      instances.push_back(json::object{{"id", iid},
                                       {"health", s.custom_health ? inst.health : "UNKNOWN"},
                                       {"attributes", attrs}});
    }
    list.push_back(json::object{{"name", s.name}, {"id", s.id}, {"instances", instances}});
  }
  (void)ns_id;
  set_snapshot(namespace_name, json::serialize(json::object{{"namespace", namespace_name},
                                                            {"epoch", epoch},
                                                            {"version", ++version},
                                                            {"services", list}}));
}

std::string FakeRegistry::new_operation(const std::string& type, const std::string& target_key,
                                        const std::string& target) {
  const std::string id = "op-" + std::to_string(next_id_++);
  json::object op{{"Id", id},
                  {"Type", type},
                  {"Status", "SUCCESS"},
                  {"Targets", json::object{{target_key, target}}}};
  operations_[id] = {json::serialize(json::object{{"Operation", op}}), pending_polls_};
  return id;
}

http1::Response FakeRegistry::api(const std::string& action, const std::string& body) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return error_reply(400, "InvalidInput", "body is not a JSON object");
  }
  const json::object& in = parsed.get_object();
  const std::string token = str(in, "CreatorRequestId");
  if (!token.empty()) {
    if (auto it = tokens_.find(token); it != tokens_.end()) {
      return json_reply(200, it->second);
    }
  }
  auto remember = [&](std::string reply) {
    if (!token.empty()) {
      tokens_[token] = reply;
    }
    return json_reply(200, reply);
  };
  if (action == "ListNamespaces") {
    const std::string wanted = first_filter_value(in);
    json::array list;
    for (const auto& [name, id] : namespaces) {
      if ((wanted.empty() || wanted == name) && !unlisted.contains(name)) {
        list.push_back(json::object{{"Id", id}, {"Name", name}, {"Type", "HTTP"}});
      }
    }
    return json_reply(200, json::serialize(json::object{{"Namespaces", list}}));
  }
  if (action == "CreateHttpNamespace") {
    const std::string name = str(in, "Name");
    if (auto it = namespaces.find(name); it != namespaces.end()) {
      return error_reply(400, "NamespaceAlreadyExists", "exists", {{"NamespaceId", it->second}});
    }
    const std::string id = "ns-" + std::to_string(next_id_++);
    namespaces[name] = id;
    return remember(json::serialize(
        json::object{{"OperationId", new_operation("CREATE_NAMESPACE", "NAMESPACE", id)}}));
  }
  if (action == "GetOperation") {
    auto it = operations_.find(str(in, "OperationId"));
    if (it == operations_.end()) {
      return error_reply(400, "OperationNotFound", "no such operation");
    }
    if (it->second.second > 0) {
      --it->second.second;
      return json_reply(200, R"({"Operation":{"Status":"PENDING"}})");
    }
    return json_reply(200, it->second.first);
  }
  if (action == "ListServices") {
    const std::string ns_id = first_filter_value(in);
    const std::string after = str(in, "NextToken");
    json::array list;
    std::string next;
    for (const auto& [id, s] : services) {
      if (!after.empty() && id <= after) {
        continue;
      }
      if (list.size() == page_size_) {
        next = json::value_to<std::string>(list.back().as_object().at("Id"));
        break;
      }
      json::object summary{{"Id", id}, {"Name", s.name}};
      if (s.custom_health) {
        summary["HealthCheckCustomConfig"] = json::object{};
      }
      list.push_back(summary);
    }
    json::object out{{"Services", list}};
    if (!next.empty()) {
      out["NextToken"] = next;
    }
    (void)ns_id;
    return json_reply(200, json::serialize(out));
  }
  if (action == "CreateService") {
    const std::string name = str(in, "Name");
    if (Service* s = find_service(name)) {
      return error_reply(400, "ServiceAlreadyExists", "exists", {{"ServiceId", s->id}});
    }
    Service s;
    s.id = "srv-" + std::to_string(next_id_++);
    s.name = name;
    s.custom_health = in.contains("HealthCheckCustomConfig");
    services[s.id] = s;
    return remember(json::serialize(json::object{{"Service", {{"Id", s.id}, {"Name", name}}}}));
  }
  auto service = services.find(str(in, "ServiceId"));
  if (service == services.end()) {
    return error_reply(400, "ServiceNotFound", "no such service");
  }
  const std::string instance_id = str(in, "InstanceId");
  if (action == "RegisterInstance") {
    Instance inst;
    for (const auto& kv : in.at("Attributes").as_object()) {
      inst.attributes[std::string(kv.key())] = json::value_to<std::string>(kv.value());
    }
    service->second.instances[instance_id] = inst;
    return remember(json::serialize(json::object{
        {"OperationId", new_operation("REGISTER_INSTANCE", "INSTANCE", instance_id)}}));
  }
  auto instance = service->second.instances.find(instance_id);
  if (instance == service->second.instances.end()) {
    return error_reply(400, "InstanceNotFound", "no such instance");
  }
  if (action == "UpdateInstanceCustomHealthStatus") {
    if (!service->second.custom_health) {
      return error_reply(400, "CustomHealthNotFound", "no custom health");
    }
    instance->second.health = str(in, "Status");
    return json_reply(200, "");
  }
  if (action == "DeregisterInstance") {
    service->second.instances.erase(instance);
    return json_reply(
        200, json::serialize(json::object{
                 {"OperationId", new_operation("DEREGISTER_INSTANCE", "INSTANCE", instance_id)}}));
  }
  return error_reply(400, "UnknownOperationException", "not in the fake: " + action);
}

CredentialsSource no_credentials() {
  std::string error;
  return std::move(*CredentialsSource::create(std::nullopt, error,
                                              [](const char*) -> const char* { return nullptr; }));
}

}  // namespace ferry::discovery::test
