#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "tests/integration/support/process.h"
#include "tests/integration/support/proxy_process.h"
#include "tests/integration/support/recording_upstream.h"

// The mesh on loopback for tests: ferry-control, backend tasks (a
// RecordingUpstream application and its ferry-proxy sidecar) and a client
// sidecar, each on its own egress network so they can share one host.
namespace ferry::test::mesh {

inline constexpr const char* kNamespace = "mesh.local";

struct SidecarSpec {
  std::string control;  // ferry-control address
  std::string state_dir;
  int egress_octet = 255;  // service_connect.egress_network 127.N.0.0/16
  // A served service (empty: a client only).
  std::string service;
  std::uint16_t app_port = 0;
  std::uint16_t alias_port = 0;
  std::string propagation_delay = "1s";
  std::string extra_yaml;  // appended (listeners:, clusters:)
};
std::string sidecar_yaml(const SidecarSpec& spec);

// One task: its application (started now or later, on a reserved port) and
// its sidecar.
class Task {
 public:
  Task(const std::string& control, const std::string& service, std::uint16_t alias_port,
       int egress_octet, bool start_app = true, std::map<std::string, std::string> env = {},
       std::string propagation_delay = "1s");
  void start_app();
  RecordingUpstream* app() { return app_.get(); }
  ProxyProcess& sidecar() { return *sidecar_; }
  std::uint16_t app_port() const { return app_port_; }
  // "127.0.0.1:<ingress port>": the endpoint other sidecars route to.
  std::string endpoint() const { return endpoint_; }
  std::size_t requests() const { return app_ ? app_->request_count() : 0; }

 private:
  TempDir state_;
  std::string service_;
  std::uint16_t app_port_ = 0;
  std::unique_ptr<RecordingUpstream> app_;
  std::unique_ptr<ProxyProcess> sidecar_;
  std::string endpoint_;
};

// /clusters of a sidecar: cluster name -> endpoint addresses.
std::map<std::string, std::vector<std::string>> cluster_endpoints(const ProxyProcess& proxy);
std::vector<std::string> endpoints_of(const ProxyProcess& proxy, const std::string& cluster);
// The address of a listener from /listeners, or empty.
std::string listener_address(const ProxyProcess& proxy, const std::string& name);

// ferry-load run in the background against `url`.
class Load {
 public:
  Load(const std::string& url, int rate, const std::string& duration, int connections = 8);
  // Waits for the end (bounded) and returns the JSON report (null on failure).
  boost::json::value finish(std::chrono::milliseconds timeout);
  // Failed requests in a report: every error kind plus 5xx.
  static std::uint64_t failures(const boost::json::value& report);
  static std::uint64_t successes(const boost::json::value& report);

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
};

}  // namespace ferry::test::mesh
