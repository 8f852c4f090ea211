#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <spdlog/common.h>

#include "control/control_plane.h"
#include "control/control_server.h"
#include "proxy/core/address.h"

namespace ferry::control {

// Everything ferry-control's command line decides (flags and defaults in
// control/README.md).
struct ControlConfig {
  core::SocketAddress listen;
  std::string address_file;
  std::string data_dir;                     // SQLite store
  std::vector<std::string> etcd_endpoints;  // etcd store ("host:port")
  std::string etcd_prefix = "/ferry/registry/";
  std::chrono::milliseconds etcd_timeout{5000};
  std::string credentials_file;
  std::chrono::seconds max_clock_skew{300};
  bool full_integrity_check = false;
  std::chrono::milliseconds drain_timeout{10'000};
  spdlog::level::level_enum log_level = spdlog::level::info;
  ControlOptions plane;
  ControlServerOptions server;
};

// Parses argv. Returns the config, or the exit code to leave with: 0 after
// --help/--version, 2 for bad flags (the message already on stderr).
std::variant<ControlConfig, int> parse_command_line(int argc, char** argv);

// True for 127.0.0.0/8 and ::1.
bool is_loopback(const core::SocketAddress& address);

}  // namespace ferry::control
