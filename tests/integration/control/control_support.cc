#include "tests/integration/control/control_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "proxy/core/sigv4/signer.h"

namespace ferry::test::control {

std::map<std::string, std::string> aws_env(const std::string& key_id, const std::string& secret) {
  return {{"AWS_ACCESS_KEY_ID", key_id},
          {"AWS_SECRET_ACCESS_KEY", secret},
          {"AWS_SESSION_TOKEN", ""},
          {"AWS_CONFIG_FILE", "/dev/null"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_PAGER", ""},
          {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_MAX_ATTEMPTS", "1"}};
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

ControlProcess::ControlProcess(Options options) {
  data_dir_ = options.data_dir.empty() ? dir_.file("data") : options.data_dir;
  address_file_ = dir_.file("address");
  Process::Options p;
  p.argv = {bin_dir() + "/ferry-control",
            "--listen",
            options.listen,
            "--address-file",
            address_file_,
            "--log-level",
            "trace"};
  if (options.etcd.empty()) {
    p.argv.insert(p.argv.end(), {"--data-dir", data_dir_});
  } else {
    p.argv.insert(p.argv.end(), {"--store", options.etcd});
  }
  if (!options.credentials.empty()) {
    p.argv.insert(p.argv.end(), {"--credentials", options.credentials});
  }
  p.argv.insert(p.argv.end(), options.extra.begin(), options.extra.end());
  p.prefix = options.prefix;
  p.log_dir = dir_.path();
  process_ = std::make_unique<Process>(p);
  const bool bound = eventually(
      [&] {
        std::ifstream in(address_file_);
        std::getline(in, address_);
        return !address_.empty() || !process_->running();
      },
      options.ready_timeout);
  if (!bound || address_.empty()) {
    ADD_FAILURE() << "ferry-control did not start: " << process_->stderr_text();
    return;
  }
  if (options.wait_ready && !eventually([&] { return ready(); }, options.ready_timeout)) {
    ADD_FAILURE() << "ferry-control never became ready: " << process_->stderr_text();
  }
}

ControlProcess::Options ControlProcess::with_credentials(const std::string& credentials,
                                                         std::string listen) {
  Options options;
  options.credentials = credentials;
  options.listen = std::move(listen);
  return options;
}

ControlProcess::Options ControlProcess::with_etcd(const std::string& store_url) {
  Options options;
  options.etcd = store_url;
  return options;
}

bool ControlProcess::ready() const {
  return !address_.empty() && http_get(address_, "/ready").status == 200;
}

namespace {

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

// Depth-first through /proc/PID/task/*/children for a process named `name`.
pid_t find_descendant(pid_t pid, const std::string& name, int depth = 0) {
  if (comm_of(pid) == name) {
    return pid;
  }
  if (depth > 4) {
    return -1;
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec);
       !ec && it != std::filesystem::directory_iterator(); ++it) {
    std::ifstream in(it->path().string() + "/children");
    pid_t child = 0;
    while (in >> child) {
      if (const pid_t found = find_descendant(child, name, depth + 1); found > 0) {
        return found;
      }
    }
  }
  return -1;
}

}  // namespace

pid_t ControlProcess::server_pid() const {
  const pid_t found = find_descendant(process_->pid(), "ferry-control");
  return found > 0 ? found : process_->pid();
}

void ControlProcess::signal(int signo) {
  ::kill(server_pid(), signo);
}

std::optional<int> ControlProcess::stop(std::chrono::milliseconds timeout) {
  if (process_->running()) {
    signal(SIGTERM);
  }
  return process_->wait(timeout);
}

double ControlProcess::metric(const std::string& series) const {
  const std::string text = http_get(address_, "/metrics").body;
  std::size_t pos = 0;
  while ((pos = text.find(series, pos)) != std::string::npos) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    const std::size_t after = pos + series.size();
    if (line_start && after < text.size() && text[after] == ' ') {
      return std::stod(text.substr(after + 1, text.find('\n', after) - after - 1));
    }
    pos = after;
  }
  return -1;
}

int ControlProcess::fd_count() const {
  int n = 0;
  std::error_code ec;
  for (auto it =
           std::filesystem::directory_iterator("/proc/" + std::to_string(server_pid()) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

EtcdProcess::EtcdProcess() {
  const std::string etcd = require_tool("etcd");
  require_tool("etcdctl");
  client_port_ = free_port();
  const int peer_port = free_port();
  const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  Process::Options p;
  p.argv = {etcd,
            "--name",
            "t",
            "--data-dir",
            dir_.file("etcd"),
            "--listen-client-urls",
            client,
            "--advertise-client-urls",
            client,
            "--listen-peer-urls",
            peer,
            "--initial-advertise-peer-urls",
            peer,
            "--initial-cluster",
            "t=" + peer,
            "--log-level",
            "warn"};
  p.log_dir = dir_.path();
  process_ = std::make_unique<Process>(p);
  if (!eventually(
          [&] {
            return http_request(client_address(), "POST", "/v3/kv/range", R"({"key":"AA=="})")
                       .status == 200;
          },
          std::chrono::seconds(20))) {
    ADD_FAILURE() << "etcd did not start: " << process_->stderr_text();
  }
}

CommandResult EtcdProcess::etcdctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"etcdctl", "--endpoints", client_address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, std::chrono::seconds(20), {{"ETCDCTL_API", "3"}});
}

std::int64_t EtcdProcess::revision() const {
  const HttpResponse r =
      http_request(client_address(), "POST", "/v3/kv/range", R"({"key":"AA=="})");
  const auto v = boost::json::parse(r.body);
  return std::stoll(std::string(v.at("header").at("revision").as_string()));
}

WatchRelay::WatchRelay(std::string target) : target_(std::move(target)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  acceptor_ = std::thread([this] { accept_loop(); });
}

WatchRelay::~WatchRelay() {
  stopping_ = true;
  hold_ = false;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (auto& t : pumps_) {
    t.join();
  }
  for (int fd : fds_) {
    ::close(fd);
  }
}

void WatchRelay::drop_watches() {
  std::lock_guard lock(mutex_);
  for (const auto& [fds, is_watch] : links_) {
    if (*is_watch) {
      ::shutdown(fds.first, SHUT_RDWR);
      ::shutdown(fds.second, SHUT_RDWR);
    }
  }
}

void WatchRelay::accept_loop() {
  while (!stopping_) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      return;
    }
    Socket upstream = Socket::connect(target_);
    if (!upstream.valid()) {
      ::close(client);
      continue;
    }
    const int server = ::dup(upstream.fd());
    upstream.close();
    timeval none{};
    ::setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    ::setsockopt(server, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
    auto is_watch = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard lock(mutex_);
    fds_.push_back(client);
    fds_.push_back(server);
    links_.push_back({{client, server}, is_watch});
    pumps_.emplace_back(
        [this, client, server, is_watch] { pump(client, server, false, is_watch); });
    pumps_.emplace_back([this, client, server, is_watch] { pump(server, client, true, is_watch); });
  }
}

void WatchRelay::pump(int from, int to, bool from_etcd,
                      std::shared_ptr<std::atomic<bool>> is_watch) {
  char buf[16384];
  while (!stopping_) {
    if (from_etcd && *is_watch && hold_) {
      eventually([&] { return !hold_ || stopping_; }, std::chrono::milliseconds(50));
      continue;
    }
    const ssize_t n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    if (!from_etcd && std::string_view(buf, static_cast<std::size_t>(n)).find("/v3/watch") !=
                          std::string_view::npos) {
      *is_watch = true;
    }
    std::size_t sent = 0;
    while (sent < static_cast<std::size_t>(n)) {
      const ssize_t m = ::send(to, buf + sent, static_cast<std::size_t>(n) - sent, MSG_NOSIGNAL);
      if (m <= 0) {
        ::shutdown(from, SHUT_RDWR);
        return;
      }
      sent += static_cast<std::size_t>(m);
    }
  }
  ::shutdown(to, SHUT_RDWR);
}

CommandResult aws(const std::string& endpoint, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  require_executable("/usr/bin/aws");
  std::vector<std::string> argv = {"/usr/bin/aws", "servicediscovery"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--endpoint-url", endpoint});
  return run_command(argv, std::chrono::seconds(60), env);
}

CommandResult aws_discover(const std::string& address, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env) {
  require_executable("/usr/bin/aws");
  require_tool("unshare");
  static TempDir hosts_dir;
  const std::string hosts = hosts_dir.write("hosts", "127.0.0.1 localhost data-localhost\n");
  const std::string port = address.substr(address.rfind(':') + 1);
  std::string command =
      "mount --bind " + hosts + " /etc/hosts && exec /usr/bin/aws servicediscovery";
  for (const std::string& a : args) {
    command += " '" + a + "'";
  }
  command += " --endpoint-url http://localhost:" + port;
  return run_command({"unshare", "-m", "sh", "-c", command}, std::chrono::seconds(60), env);
}

CommandResult python(const std::string& script, const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout,
                     const std::map<std::string, std::string>& env) {
  require_executable("/usr/bin/python3");
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   std::string(FERRY_CONTROL_SCRIPTS) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, timeout, env);
}

void require_executable(const std::string& path) {
  if (::access(path.c_str(), X_OK) != 0) {
    throw std::runtime_error("required tool not installed: " + path + " (run ./setup.sh deps)");
  }
}

std::string trim(const std::string& text) {
  std::size_t end = text.size();
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) {
    --end;
  }
  return text.substr(0, end);
}

boost::json::value parse_json(const std::string& text) {
  std::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) {
    ADD_FAILURE() << "not JSON: " << text;
    return {};
  }
  return v;
}

HttpResponse cloudmap_request(const std::string& address, const std::string& action,
                              const std::string& body,
                              std::optional<std::pair<std::string, std::string>> key,
                              std::chrono::system_clock::time_point signed_at,
                              const std::string& signed_action) {
  const std::string target = "Route53AutoNaming_v20170314." + action;
  std::map<std::string, std::string> headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                                {"X-Amz-Target", target}};
  if (key) {
    const std::string sign_target =
        "Route53AutoNaming_v20170314." + (signed_action.empty() ? action : signed_action);
    const std::vector<core::HeaderField> fields = {{"content-type", "application/x-amz-json-1.1"},
                                                   {"host", address},
                                                   {"x-amz-target", sign_target}};
    const core::SigV4Headers s =
        core::sign_request({"POST", "/", "", fields, body}, {key->first, key->second, ""},
                           "us-east-1", "servicediscovery", signed_at);
    headers["Authorization"] = s.authorization;
    headers["X-Amz-Date"] = s.amz_date;
  }
  return http_request(address, "POST", "/", body, headers);
}

}  // namespace ferry::test::control
