#include "tests/integration/http/http_test_support.h"

#include <csignal>
#include <iostream>

namespace ferry::test {

std::string proxy_config(const ProxySetup& setup, const std::string& access_log_path) {
  std::string y;
  y += "admin: {address: \"127.0.0.1:0\"}\n";
  y += "workers: " + std::to_string(setup.workers) + "\n";
  y += "drain: {propagation_delay: 0s, timeout: 5s}\n";
  y += "listeners:\n";
  y += "  - name: web\n";
  y += "    address: \"127.0.0.1:0\"\n";
  y += "    protocol: http\n";
  bool has_cluster_or_routes = false;
  for (const auto& line : setup.listener_keys) {
    if (line.rfind("cluster:", 0) == 0 || line.rfind("routes:", 0) == 0) {
      has_cluster_or_routes = true;
    }
  }
  if (!has_cluster_or_routes) {
    y += "    cluster: backend\n";
  }
  if (!access_log_path.empty()) {
    y += "    access_log: {path: \"" + access_log_path + "\"}\n";
  }
  for (const auto& line : setup.listener_keys) {
    y += "    " + line + "\n";
  }
  y += "clusters:\n";
  y += "  - name: backend\n";
  y += "    endpoints: [";
  for (std::size_t i = 0; i < setup.endpoints.size(); ++i) {
    y += (i > 0 ? ", \"" : "\"") + setup.endpoints[i] + "\"";
  }
  y += "]\n";
  for (const auto& line : setup.cluster_keys) {
    y += "    " + line + "\n";
  }
  for (const auto& item : setup.extra_clusters) {
    y += item;
  }
  return y;
}

void ProxyTest::start_proxy(const ProxySetup& setup) {
  ProxyProcess::Options options;
  if (setup.access_log) {
    // The access log path must be known before the config is written, so it
    // goes to a dir the test owns (ProxyProcess makes its own dir later).
    log_dir_ = std::make_unique<TempDir>();
    options.config_yaml = proxy_config(setup, log_dir_->file("access.log"));
  } else {
    options.config_yaml = proxy_config(setup);
  }
  proxy_ = std::make_unique<ProxyProcess>(std::move(options));
}

void ProxyTest::start_proxy(const RecordingUpstream& upstream,
                            std::vector<std::string> listener_keys,
                            std::vector<std::string> cluster_keys, int workers) {
  ProxySetup setup;
  setup.endpoints = {upstream.address()};
  setup.listener_keys = std::move(listener_keys);
  setup.cluster_keys = std::move(cluster_keys);
  setup.workers = workers;
  start_proxy(setup);
}

void ProxyTest::TearDown() {
  if (!proxy_) {
    return;
  }
  // A clean exit (SIGINT: drain without the propagation delay) is part of
  // every test: under ASan it also runs the leak check.
  proxy_->process().signal(SIGINT);
  const auto code = proxy_->process().wait(10s);
  if (expect_clean_exit_) {
    EXPECT_EQ(code, std::optional<int>(0)) << "ferry-proxy did not exit cleanly";
  }
  if (HasFailure()) {
    std::cerr << "---- ferry-proxy log ----\n" << proxy_->logs() << "---- end ----\n";
  }
  proxy_.reset();
}

double ProxyTest::rejected(const std::string& reason) const {
  return proxy_->metric("ferry_downstream_rejected_total{listener=\"web\",reason=\"" + reason +
                        "\"}");
}

double ProxyTest::cluster_metric(const std::string& name, const std::string& cluster) const {
  return proxy_->metric(name + "{cluster=\"" + cluster + "\"}");
}

double ProxyTest::listener_metric(const std::string& name) const {
  return proxy_->metric(name + "{listener=\"web\"}");
}

std::string ProxyTest::access_log_path() const {
  return log_dir_ ? log_dir_->file("access.log") : std::string();
}

ClientResponse ProxyTest::exchange(const std::string& request, bool head_request) {
  HttpClient client(web());
  EXPECT_TRUE(client.connected());
  EXPECT_TRUE(client.send(request));
  return client.read_response(head_request);
}

std::string get_request(const std::string& host, const std::string& target,
                        std::vector<std::pair<std::string, std::string>> headers) {
  return make_request("GET", target, host, headers);
}

}  // namespace ferry::test
