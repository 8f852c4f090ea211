#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"

namespace ferry::test {

// A ferry-proxy started from a YAML config text, with its admin address
// learned through --admin-address-path and its listeners' real addresses
// learned from GET /listeners (configs use port 0 everywhere).
class ProxyProcess {
 public:
  struct Options {
    std::string config_yaml = {};
    std::vector<std::string> extra_args = {};
    std::vector<std::string> prefix = {};  // e.g. prlimit
    std::map<std::string, std::string> env = {};
    bool wait_ready = true;
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(15);
  };
  explicit ProxyProcess(Options options);

  Process& process() { return *process_; }
  const std::string& admin() const { return admin_; }
  // "ip:port" of the named listener.
  std::string listener(const std::string& name) const;
  const std::string& config_path() const { return config_path_; }
  TempDir& dir() { return dir_; }
  bool is_ready() const;
  // Admin GET of `path`.
  HttpResponse admin_get(const std::string& path) const { return http_get(admin_, path); }
  HttpResponse admin_post(const std::string& path) const {
    return http_request(admin_, "POST", path);
  }
  // The value of one sample ("name{labels}") on /metrics, or -1 when absent.
  double metric(const std::string& series) const;
  std::string logs() const { return process_->stderr_text(); }

 private:
  TempDir dir_;
  std::string config_path_;
  std::unique_ptr<Process> process_;
  std::string admin_;
  std::map<std::string, std::string> listeners_;
};

// Value of `series` (exact text before the value, e.g.
// `ferry_bytes_sent_total{listener="web"}`) in a Prometheus exposition, or −1.
double metric_value(const std::string& exposition, const std::string& series);

}  // namespace ferry::test
