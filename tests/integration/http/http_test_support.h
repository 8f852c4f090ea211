#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/http_client.h"
#include "tests/integration/support/proxy_process.h"
#include "tests/integration/support/recording_upstream.h"

// Shared set-up of the HTTP proxying tests: a ferry-proxy with one `http`
// listener ("web") in front of one cluster ("backend"), configured through
// extra YAML keys per test.
namespace ferry::test {

using namespace std::chrono_literals;

struct ProxySetup {
  std::vector<std::string> endpoints;       // the backend cluster's endpoints
  std::vector<std::string> listener_keys;   // "key: value" lines of the listener
  std::vector<std::string> cluster_keys;    // "key: value" lines of the cluster
  std::vector<std::string> extra_clusters;  // whole YAML list items under clusters:
  int workers = 1;
  bool access_log = false;  // writes <dir>/access.log
};

// The YAML text for `setup` (admin and listener on port 0).
std::string proxy_config(const ProxySetup& setup, const std::string& access_log_path = {});

class ProxyTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // Starts ferry-proxy; fails the test (by exception) if it does not get ready.
  void start_proxy(const ProxySetup& setup);
  // Starts it in front of `upstream` with the given listener / cluster keys.
  void start_proxy(const RecordingUpstream& upstream, std::vector<std::string> listener_keys = {},
                   std::vector<std::string> cluster_keys = {}, int workers = 1);

  ProxyProcess& proxy() { return *proxy_; }
  std::string web() const { return proxy_->listener("web"); }
  // Host header value that matches the listener.
  std::string host() const { return web(); }
  double rejected(const std::string& reason) const;
  double cluster_metric(const std::string& name, const std::string& cluster = "backend") const;
  double listener_metric(const std::string& name) const;
  std::string access_log_path() const;

  // Sends `request` on a new connection and reads one response.
  ClientResponse exchange(const std::string& request, bool head_request = false);

  std::unique_ptr<TempDir> log_dir_;
  std::unique_ptr<ProxyProcess> proxy_;
  bool expect_clean_exit_ = true;
};

// A typical request with Host set to the listener.
std::string get_request(const std::string& host, const std::string& target = "/",
                        std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace ferry::test
