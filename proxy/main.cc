// ferry-proxy: the sidecar. See README.md and ../shared/DESIGN.md.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "proxy/core/config/load.h"
#include "proxy/core/log.h"
#include "proxy/cpu_budget.h"
#include "proxy/server.h"

namespace {

// Raises the soft descriptor limit to the hard one: every connection costs
// one or two descriptors, and the listener caps stay below the limit.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Written once the admin server listens, atomically (rename), so a reader
// never sees a half-written address.
bool write_admin_address(const std::string& path, const std::string& address) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n";
    if (!out) {
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferry-proxy: the ferry service-mesh sidecar"};
  std::string config_path;
  bool check_only = false;
  int workers = -1;
  std::string log_level = "info";
  std::string admin_address_path;
  app.add_option("--config", config_path, "YAML config file")->required()->check(CLI::ExistingPath);
  app.add_flag("--check-config", check_only,
               "Validate the config and exit: 0 when valid, 2 with FILE:LINE: key.path: reason "
               "lines when not");
  app.add_option("--workers", workers,
                 "Worker threads (overrides `workers:`; 0: the CPUs this "
                 "process may use)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--admin-address-path", admin_address_path,
                 "Write HOST:PORT of the bound admin server to this file once it listens");
  app.set_version_flag("--version", std::string("ferry-proxy ") + FERRY_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (check_only) {
    return ferry::core::check_config_file(config_path, std::cerr);
  }
  // Config errors end the process before any port is bound.
  ferry::core::LoadResult loaded = ferry::core::load_proxy_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) {
      std::cerr << error.to_string() << "\n";
    }
    return 2;
  }
  auto config = std::make_shared<const ferry::core::ProxyConfig>(std::move(*loaded.config));

  ferry::core::init_logging("ferry-proxy", *ferry::core::parse_log_level(log_level));
  spdlog::flush_every(std::chrono::seconds(1));
  raise_descriptor_limit();
  unsigned worker_count = workers >= 0 ? static_cast<unsigned>(workers) : config->workers;
  if (worker_count == 0) {
    worker_count = ferry::proxy::available_cpus();
  }

  int exit_code = 0;
  {
    ferry::proxy::Server server(config, worker_count, config_path);
    std::string error;
    if (!server.start(&error)) {
      spdlog::error("{}", error);
      ferry::core::shutdown_logging();
      return 1;
    }
    const std::string admin = server.admin_address().to_string();
    if (!admin_address_path.empty() && !write_admin_address(admin_address_path, admin)) {
      spdlog::error("cannot write the admin address to {}", admin_address_path);
      ferry::core::shutdown_logging();
      return 1;
    }
    spdlog::info("ferry-proxy {} started: {} workers, admin on {}", FERRY_VERSION, worker_count,
                 admin);
    exit_code = server.run();
  }
  spdlog::info("ferry-proxy stopped");
  ferry::core::shutdown_logging();
  return exit_code;
}
