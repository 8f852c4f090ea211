#include "tests/integration/support/proxy_process.h"

#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

namespace ferry::test {

ProxyProcess::ProxyProcess(Options options) {
  config_path_ = dir_.write("ferry.yaml", options.config_yaml);
  const std::string admin_file = dir_.file("admin.addr");
  Process::Options p;
  p.argv = {bin_dir() + "/ferry-proxy", "--config", config_path_, "--admin-address-path",
            admin_file};
  p.argv.insert(p.argv.end(), options.extra_args.begin(), options.extra_args.end());
  p.prefix = options.prefix;
  p.env = options.env;
  p.log_dir = dir_.path();
  process_ = std::make_unique<Process>(std::move(p));
  if (!eventually([&] { return !read_file(admin_file).empty() || !process_->running(); },
                  options.ready_timeout) ||
      !process_->running()) {
    throw std::runtime_error("ferry-proxy did not start:\n" + process_->stderr_text());
  }
  admin_ = read_file(admin_file);
  while (!admin_.empty() && (admin_.back() == '\n' || admin_.back() == ' ')) {
    admin_.pop_back();
  }
  if (options.wait_ready && !eventually([&] { return is_ready(); }, options.ready_timeout)) {
    throw std::runtime_error("ferry-proxy never became ready:\n" + process_->stderr_text());
  }
  const auto listeners = admin_get("/listeners");
  const boost::json::value parsed = boost::json::parse(listeners.body);
  for (const auto& v : parsed.as_array()) {
    const auto& o = v.as_object();
    listeners_[std::string(o.at("name").as_string())] = std::string(o.at("address").as_string());
  }
}

bool ProxyProcess::is_ready() const {
  return admin_get("/ready").status == 200;
}

std::string ProxyProcess::listener(const std::string& name) const {
  auto it = listeners_.find(name);
  if (it == listeners_.end()) {
    throw std::runtime_error("no listener " + name);
  }
  return it->second;
}

double ProxyProcess::metric(const std::string& series) const {
  return metric_value(admin_get("/metrics").body, series);
}

double metric_value(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

}  // namespace ferry::test
