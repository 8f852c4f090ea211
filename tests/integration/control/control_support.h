#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"

// Helpers for ferry-control's integration tests: the binary, a real etcd,
// and the real clients (Debian's /usr/bin/aws v2, /usr/bin/python3 boto3,
// curl) with an environment that reads nothing from the machine.
namespace ferry::test::control {

// AWS_* variables every client gets (CLOUDMAP.md): dummy keys, no config
// files, no metadata service, no pager.
std::map<std::string, std::string> aws_env(const std::string& key_id = "AKIDEXAMPLE",
                                           const std::string& secret = "dummy-secret");

// A free TCP port on 127.0.0.1 (bound, then released).
int free_port();

// One ferry-control process. Waits for its address file and /ready.
class ControlProcess {
 public:
  struct Options {
    std::string data_dir;             // SQLite (default: a dir inside the fixture's temp dir)
    std::string etcd;                 // "etcd://127.0.0.1:P" instead of SQLite
    std::string credentials;          // a credentials file path
    std::vector<std::string> extra;   // more flags
    std::vector<std::string> prefix;  // strace, unshare...
    bool wait_ready = true;
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(20);
    std::string listen = "127.0.0.1:0";
  };
  explicit ControlProcess(Options options);
  // Shorthands for the common variants.
  static Options with_credentials(const std::string& credentials,
                                  std::string listen = "127.0.0.1:0");
  static Options with_etcd(const std::string& store_url);

  Process& process() { return *process_; }
  const std::string& address() const { return address_; }
  std::string endpoint() const { return "http://" + address_; }
  const std::string& data_dir() const { return data_dir_; }
  bool ready() const;
  // The pid of ferry-control itself (below strace or unshare when prefixed).
  pid_t server_pid() const;
  // Sends `signo` to ferry-control itself.
  void signal(int signo);
  // SIGTERM and the exit code (nullopt if it did not exit in time).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Sample of /metrics, -1 when absent.
  double metric(const std::string& series) const;
  std::string logs() const { return process_->stderr_text(); }
  // Open file descriptors of the process (/proc/PID/fd).
  int fd_count() const;

 private:
  TempDir dir_;
  std::string data_dir_;
  std::string address_file_;
  std::unique_ptr<Process> process_;
  std::string address_;
};

// A single-member etcd on ephemeral loopback ports with a temp data dir.
class EtcdProcess {
 public:
  EtcdProcess();
  std::string client_address() const { return "127.0.0.1:" + std::to_string(client_port_); }
  std::string store_url() const { return "etcd://" + client_address(); }
  // etcdctl with the given args against this member.
  CommandResult etcdctl(const std::vector<std::string>& args) const;
  std::int64_t revision() const;
  // SIGSTOP / SIGCONT: an etcd that accepts connections but never answers.
  void freeze() { process_->signal(SIGSTOP); }
  void thaw() { process_->signal(SIGCONT); }

 private:
  TempDir dir_;
  int client_port_ = 0;
  std::unique_ptr<Process> process_;
};

// A TCP relay to `target` (etcd) that can hold the etcd watch streams passing
// through it (it stops forwarding etcd's side) and cut them, like a network
// partition between one replica and etcd.
class WatchRelay {
 public:
  explicit WatchRelay(std::string target);
  ~WatchRelay();
  WatchRelay(const WatchRelay&) = delete;
  WatchRelay& operator=(const WatchRelay&) = delete;
  std::string address() const { return address_; }
  void hold_watches(bool hold) { hold_ = hold; }
  // Cuts every watch connection passing through (both sides).
  void drop_watches();

 private:
  void accept_loop();
  void pump(int from, int to, bool from_etcd, std::shared_ptr<std::atomic<bool>> is_watch);

  std::string target_;
  std::string address_;
  int listen_fd_ = -1;
  std::atomic<bool> hold_{false};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> pumps_;
  std::vector<int> fds_;
  std::vector<std::pair<std::pair<int, int>, std::shared_ptr<std::atomic<bool>>>> links_;
};

// `/usr/bin/aws servicediscovery ARGS --endpoint-url URL` (Debian's CLI v2.9).
CommandResult aws(const std::string& endpoint, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = aws_env());
// The same, for DiscoverInstances: CLI v2 always prefixes the host with
// "data-", so it runs inside `unshare -m` with a private /etc/hosts mapping
// data-localhost to 127.0.0.1, against http://localhost:PORT.
CommandResult aws_discover(const std::string& address, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = aws_env());
// `/usr/bin/python3 scripts/NAME ARGS` (Debian's boto3), with the AWS env.
CommandResult python(const std::string& script, const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120),
                     const std::map<std::string, std::string>& env = aws_env());

// Fails the calling test loudly (throws) unless `path` is an executable:
// tests never skip silently. Debian's clients are /usr/bin/aws and /usr/bin/python3.
void require_executable(const std::string& path);

// Trims trailing whitespace (CLI text output ends with a newline).
std::string trim(const std::string& text);
// Parses JSON printed by a client; a test failure if it is not JSON.
boost::json::value parse_json(const std::string& text);

// A Cloud Map request over a raw socket: POST / with X-Amz-Target and body,
// optionally SigV4-signed with `key_id`/`secret` at `signed_at`.
HttpResponse cloudmap_request(
    const std::string& address, const std::string& action, const std::string& body,
    std::optional<std::pair<std::string, std::string>> key = {},
    std::chrono::system_clock::time_point signed_at = std::chrono::system_clock::now(),
    const std::string& signed_action = {});

}  // namespace ferry::test::control
