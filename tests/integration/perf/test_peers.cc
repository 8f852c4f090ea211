#include "test_peers.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>

extern char** environ;

namespace ferry::perf::testing {
namespace {

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  throw std::runtime_error(name + " is not installed (./setup.sh deps installs it)");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::filesystem::path& output_file) {
  std::vector<std::string> storage;
  storage.push_back(program);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int rv = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rv != 0) {
    throw std::runtime_error("cannot start " + program);
  }
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int ChildProcess::wait(std::chrono::milliseconds limit) {
  int status = 0;
  const bool exited = eventually(
      [&] {
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        return r == pid_;
      },
      limit);
  if (!exited) {
    return -1;
  }
  reaped_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ferry-load-test-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

NginxPeer::NginxPeer() {
  const std::string nginx = find_program("nginx");
  // A port taken between free_port() and nginx's bind makes nginx exit:
  // try again with new ports.
  for (int attempt = 0; attempt < 5; ++attempt) {
    http1_port_ = free_port();
    h2c_port_ = free_port();
    const std::filesystem::path conf = dir_.path() / "nginx.conf";
    const std::string d = dir_.path().string();
    std::ofstream(conf) << "worker_processes 1;\nmaster_process off;\ndaemon off;\n"
                        << "pid " << d << "/nginx.pid;\nerror_log " << d << "/error.log warn;\n"
                        << "events { worker_connections 4096; }\n"
                        << "http {\n  access_log off;\n  keepalive_requests 1000000;\n"
                        << "  client_body_temp_path " << d << ";\n  proxy_temp_path " << d
                        << ";\n  fastcgi_temp_path " << d << ";\n  uwsgi_temp_path " << d
                        << ";\n  scgi_temp_path " << d << ";\n"
                        << "  server {\n    listen 127.0.0.1:" << http1_port_ << ";\n"
                        << "    listen 127.0.0.1:" << h2c_port_ << " http2;\n"
                        << "    location / { return 200 \"hello world\\n\"; }\n"
                        << "    location /missing { return 404; }\n  }\n}\n";
    process_ = std::make_unique<ChildProcess>(
        nginx, std::vector<std::string>{"-p", d, "-c", conf.string(), "-e", d + "/error.log"},
        dir_.path() / "nginx.out");
    if (eventually([&] { return port_accepts(http1_port_) && port_accepts(h2c_port_); },
                   std::chrono::seconds(5))) {
      return;
    }
    process_.reset();
  }
  throw std::runtime_error("nginx did not start: " + read_file(dir_.path() / "error.log"));
}

LoadOutcome run_ferry_load(const std::vector<std::string>& args, std::chrono::milliseconds limit) {
  TempDir dir;
  const std::filesystem::path json = dir.path() / "report.json";
  std::vector<std::string> all = args;
  all.push_back("--json");
  all.push_back(json.string());
  LoadOutcome outcome;
  {
    ChildProcess load(FERRY_LOAD_BIN, all, dir.path() / "output.txt");
    outcome.exit_code = load.wait(limit);
  }
  outcome.output = read_file(dir.path() / "output.txt");
  if (std::filesystem::exists(json)) {
    outcome.report = boost::json::parse(read_file(json));
  }
  return outcome;
}

}  // namespace ferry::perf::testing
