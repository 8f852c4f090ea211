#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

// A child process started by a test. Its stdout and stderr go to files in
// `log_dir` (printed by the test on failure). The destructor kills it (by its
// PID, with SIGKILL) if it is still running: a failing test never leaks one.
class Process {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;  // added to the inherited environment
    std::string log_dir;                     // default: a fresh temp dir
    std::string stdin_file;                  // default: /dev/null
    std::vector<std::string> prefix;         // e.g. {"prlimit", "--nofile=256:256", "--"}
  };
  explicit Process(Options options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signo);
  // Waits for exit; returns the exit code (128 + signal when killed), or
  // nullopt at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  void reap(int status);
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

// Runs a command to completion with a deadline; returns {exit code, stdout,
// stderr}. Exit code −1 when it had to be killed at the deadline.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30),
                          const std::map<std::string, std::string>& env = {},
                          const std::string& stdin_text = {});

// Polls `pred` every few milliseconds until it holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    struct timespec ts {
      0, 5'000'000
    };
    nanosleep(&ts, nullptr);
  }
}

// A temporary directory removed (recursively) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to `name` inside the directory; returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);

// The directory holding the project's binaries (build/bin).
std::string bin_dir();
// Path of a required tool on PATH; fails the calling test loudly when absent.
std::string require_tool(const std::string& name);

}  // namespace ferry::test
