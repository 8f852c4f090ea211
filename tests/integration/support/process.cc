#include "tests/integration/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace ferry::test {
namespace {

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) {
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : extra) {
    env[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) {
    out.push_back(k + "=" + v);
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace

Process::Process(Options options) {
  std::string log_dir = options.log_dir;
  if (log_dir.empty()) {
    char tmpl[] = "/tmp/ferry-test-proc-XXXXXX";
    log_dir = mkdtemp(tmpl);
  }
  static int counter = 0;
  const std::string stem =
      log_dir + "/proc" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  out_path_ = stem + ".out";
  err_path_ = stem + ".err";

  std::vector<std::string> argv = options.prefix;
  argv.insert(argv.end(), options.argv.begin(), options.argv.end());
  std::vector<std::string> env = merged_environment(options.env);
  auto argv_c = c_strings(argv);
  auto env_c = c_strings(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string in = options.stdin_file.empty() ? "/dev/null" : options.stdin_file;
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  // Descriptors the test runner leaked to us must not eat into the child's
  // limits (the out-of-descriptor tests count on a known baseline).
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal dispositions and an empty mask.
  sigset_t all;
  sigfillset(&all);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  const int rc = posix_spawnp(&pid_, argv_c[0], &actions, &attr, argv_c.data(), env_c.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

void Process::reap(int status) {
  if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit_code_ = 128 + WTERMSIG(status);
  }
}

bool Process::running() {
  if (exit_code_) {
    return false;
  }
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap(status);
    return false;
  }
  return r == 0;
}

void Process::signal(int signo) {
  if (running()) {
    ::kill(pid_, signo);
  }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (!eventually([this] { return !running(); }, timeout)) {
    return std::nullopt;
  }
  return exit_code_;
}

std::string Process::stdout_text() const {
  return read_file(out_path_);
}
std::string Process::stderr_text() const {
  return read_file(err_path_);
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::map<std::string, std::string>& env,
                          const std::string& stdin_text) {
  TempDir dir;
  Process::Options options;
  options.argv = argv;
  options.env = env;
  options.log_dir = dir.path();
  if (!stdin_text.empty()) {
    options.stdin_file = dir.write("stdin", stdin_text);
  }
  Process p(std::move(options));
  CommandResult result;
  auto code = p.wait(timeout);
  if (!code) {
    p.signal(SIGKILL);
    p.wait(std::chrono::seconds(5));
  }
  result.exit_code = code.value_or(-1);
  result.out = p.stdout_text();
  result.err = p.stderr_text();
  return result;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/ferry-test-XXXXXX";
  const char* made = mkdtemp(tmpl);
  if (made == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = file(name);
  std::ofstream out(p, std::ios::binary);
  out << content;
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string bin_dir() {
  return FERRY_TEST_BIN_DIR;
}

std::string require_tool(const std::string& name) {
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env != nullptr ? path_env : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin"}) {
    const std::string candidate = std::string(d) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  throw std::runtime_error("required tool not installed: " + name + " (run ./setup.sh deps)");
}

}  // namespace ferry::test
