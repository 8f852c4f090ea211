#include "tests/integration/mesh/mesh_support.h"

#include <stdexcept>

#include <boost/json.hpp>

#include "tests/integration/control/control_support.h"

namespace ferry::test::mesh {

namespace json = boost::json;

std::string sidecar_yaml(const SidecarSpec& spec) {
  std::string y;
  y += "admin: {address: 127.0.0.1:0}\n";
  y += "workers: 1\n";
  y += "drain: {propagation_delay: " + spec.propagation_delay + ", timeout: 15s}\n";
  y += "control_plane:\n";
  y += "  addresses: [" + spec.control + "]\n";
  y += "  snapshot_path: " + spec.state_dir + "/snapshot.json\n";
  y += "  reconnect_backoff: {base_interval: 100ms, max_interval: 1s}\n";
  y += "  request_timeout: 2s\n";
  y += "  watch_timeout: 10s\n";
  y += "  heartbeat_interval: 1s\n";
  y += "service_connect:\n";
  y += std::string("  namespace: ") + kNamespace + "\n";
  y += "  advertise_address: 127.0.0.1\n";
  y += "  hosts_file: " + spec.state_dir + "/hosts\n";
  y += "  egress_network: 127." + std::to_string(spec.egress_octet) + ".0.0/16\n";
  if (!spec.service.empty()) {
    y += "  services:\n";
    y += "    - portName: " + spec.service + "\n";
    y += "      port: " + std::to_string(spec.app_port) + "\n";
    y += "      appProtocol: http\n";
    y += "      clientAliases: [{port: " + std::to_string(spec.alias_port) +
         ", dnsName: " + spec.service + "}]\n";
  }
  y += spec.extra_yaml;
  return y;
}

Task::Task(const std::string& control, const std::string& service, std::uint16_t alias_port,
           int egress_octet, bool start_app_now, std::map<std::string, std::string> env,
           std::string propagation_delay)
    : service_(service), app_port_(static_cast<std::uint16_t>(control::free_port())) {
  if (start_app_now) {
    start_app();
  }
  SidecarSpec spec;
  spec.control = control;
  spec.state_dir = state_.path();
  spec.egress_octet = egress_octet;
  spec.service = service;
  spec.app_port = app_port_;
  spec.alias_port = alias_port;
  spec.propagation_delay = std::move(propagation_delay);
  ProxyProcess::Options o;
  o.config_yaml = sidecar_yaml(spec);
  o.env = std::move(env);
  sidecar_ = std::make_unique<ProxyProcess>(std::move(o));
  const std::string ingress = sidecar_->listener("sc.ingress." + service);
  endpoint_ = "127.0.0.1:" + ingress.substr(ingress.rfind(':') + 1);
}

void Task::start_app() {
  RecordingUpstream::Options o;
  o.port = app_port_;
  const std::string body = service_ + " " + std::to_string(app_port_);
  o.handler = [body](const RecordedRequest&) {
    UpstreamReply r;
    r.body = body;
    return r;
  };
  app_ = std::make_unique<RecordingUpstream>(std::move(o));
}

std::map<std::string, std::vector<std::string>> cluster_endpoints(const ProxyProcess& proxy) {
  std::map<std::string, std::vector<std::string>> out;
  const HttpResponse r = proxy.admin_get("/clusters");
  if (r.status != 200) {
    return out;
  }
  boost::system::error_code ec;
  const json::value parsed = json::parse(r.body, ec);
  if (ec || !parsed.is_array()) {
    return out;
  }
  for (const json::value& c : parsed.as_array()) {
    auto& list = out[std::string(c.at("name").as_string())];
    for (const json::value& e : c.at("endpoints").as_array()) {
      list.emplace_back(e.at("address").as_string());
    }
  }
  return out;
}

std::vector<std::string> endpoints_of(const ProxyProcess& proxy, const std::string& cluster) {
  auto all = cluster_endpoints(proxy);
  auto it = all.find(cluster);
  return it == all.end() ? std::vector<std::string>{} : it->second;
}

std::string listener_address(const ProxyProcess& proxy, const std::string& name) {
  const HttpResponse r = proxy.admin_get("/listeners");
  boost::system::error_code ec;
  const json::value parsed = json::parse(r.body, ec);
  if (ec || !parsed.is_array()) {
    return {};
  }
  for (const json::value& l : parsed.as_array()) {
    if (l.at("name").as_string() == name) {
      return std::string(l.at("address").as_string());
    }
  }
  return {};
}

Load::Load(const std::string& url, int rate, const std::string& duration, int connections) {
  Process::Options o;
  o.argv = {bin_dir() + "/ferry-load",
            "--url",
            url,
            "--rate",
            std::to_string(rate),
            "--duration",
            duration,
            "--connections",
            std::to_string(connections),
            "--threads",
            "1",
            "--warmup",
            "0s",
            "--timeout",
            "5s",
            "--json",
            dir_.file("report.json")};
  o.log_dir = dir_.path();
  process_ = std::make_unique<Process>(std::move(o));
}

json::value Load::finish(std::chrono::milliseconds timeout) {
  const auto code = process_->wait(timeout);
  if (!code || *code != 0) {
    return nullptr;
  }
  boost::system::error_code ec;
  json::value report = json::parse(read_file(dir_.file("report.json")), ec);
  return ec ? json::value(nullptr) : report;
}

std::uint64_t Load::failures(const json::value& report) {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : report.at("errors").as_object()) {
    n += json::value_to<std::uint64_t>(count);
  }
  return n;
}

std::uint64_t Load::successes(const json::value& report) {
  return json::value_to<std::uint64_t>(report.at("status").at("2xx"));
}

}  // namespace ferry::test::mesh
