#include "tcp_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "proxy/core/address.h"
#include "tests/integration/support/process.h"

namespace ferry::test {

std::string exchange(Socket& socket, const std::string& payload,
                     std::chrono::milliseconds timeout) {
  const int fd = socket.fd();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string received;
  std::size_t sent = 0;
  bool write_closed = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    if (sent == payload.size() && !write_closed) {
      ::shutdown(fd, SHUT_WR);
      write_closed = true;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (write_closed ? 0 : POLLOUT)), 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    if (p.revents & POLLOUT) {
      const ssize_t n = ::send(fd, payload.data() + sent,
                               std::min<std::size_t>(payload.size() - sent, 1 << 16), MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        break;  // FIN (or reset) from the peer
      }
      received.append(buf, static_cast<std::size_t>(n));
    }
  }
  return received;
}

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) {
      out[i + j] = static_cast<char>(v >> (8 * j));
    }
  }
  return out;
}

Blackhole::Blackhole() {
  auto any = *core::SocketAddress::parse("127.0.0.1:0");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::bind(listen_fd_, any.data(), any.size());
  ::listen(listen_fd_, 0);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  auto bound = *core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  address_ = bound.to_string();
  // Fill the accept queue (backlog 0 holds one, the kernel allows one more);
  // later SYNs are dropped and their connects hang.
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ::connect(fd, bound.data(), bound.size());
    fillers_.push_back(fd);
  }
  struct timespec ts {
    0, 200'000'000
  };
  nanosleep(&ts, nullptr);
}

Blackhole::~Blackhole() {
  for (int fd : fillers_) {
    ::close(fd);
  }
  ::close(listen_fd_);
}

std::string refused_address() {
  auto any = *core::SocketAddress::parse("127.0.0.1:0");
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::bind(fd, any.data(), any.size());
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  const std::string out =
      core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)->to_string();
  ::close(fd);  // bound but never listening, now closed: connects are refused
  return out;
}

int listen_ephemeral(std::string* address) {
  auto any = *core::SocketAddress::parse("127.0.0.1:0");
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::bind(fd, any.data(), any.size());
  ::listen(fd, 64);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *address = core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)->to_string();
  return fd;
}

double cpu_seconds(int pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/stat"));
  std::string field;
  // utime and stime are fields 14 and 15; the command (field 2) has no spaces here.
  for (int i = 1; i <= 13; ++i) {
    in >> field;
  }
  long utime = 0;
  long stime = 0;
  in >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::uint64_t rss_bytes(int pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

int open_fds(int pid) {
  int n = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) {
    return -1;
  }
  while (::readdir(dir) != nullptr) {
    ++n;
  }
  ::closedir(dir);
  return n - 2;
}

}  // namespace ferry::test
