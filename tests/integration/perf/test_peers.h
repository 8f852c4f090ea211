#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

// Helpers for ferry-load's integration tests: real processes on loopback.
namespace ferry::perf::testing {

// Polls `condition` until it holds or `limit` passes (every wait in these
// tests is bounded by one of these, never a bare sleep).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

// A child process started with posix_spawn, killed (by its PID) and reaped
// when the object goes away.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::filesystem::path& output_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the exit (bounded); the exit code, or -1 on a signal/timeout.
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A port that was free a moment ago (bind to 0, read it, close): for peers
// such as nginx that cannot report the port they picked.
std::uint16_t free_port();
bool port_accepts(std::uint16_t port);

// nginx in one process (master_process off) answering every request with a
// 12-byte body, on an HTTP/1.1 port and an h2c port. Fails the test (throws)
// if nginx is not installed or does not start.
class NginxPeer {
 public:
  NginxPeer();
  std::uint16_t http1_port() const { return http1_port_; }
  std::uint16_t h2c_port() const { return h2c_port_; }
  pid_t pid() const { return process_->pid(); }

 private:
  TempDir dir_;
  std::uint16_t http1_port_ = 0;
  std::uint16_t h2c_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// The result of running the real ferry-load binary.
struct LoadOutcome {
  int exit_code = -1;
  boost::json::value report;  // the --json file; null if none was written
  std::string output;         // stdout and stderr
};
LoadOutcome run_ferry_load(const std::vector<std::string>& args,
                           std::chrono::milliseconds limit = std::chrono::seconds(60));

}  // namespace ferry::perf::testing
