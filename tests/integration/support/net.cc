#include "tests/integration/support/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "proxy/core/address.h"
#include "proxy/core/text.h"

namespace ferry::test {

Socket::~Socket() {
  close();
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void Socket::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Socket Socket::connect(const std::string& address, std::chrono::milliseconds timeout) {
  auto addr = core::SocketAddress::parse(address);
  if (!addr) {
    return Socket();
  }
  Socket s(::socket(addr->data()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  s.set_timeout(timeout);
  if (::connect(s.fd_, addr->data(), addr->size()) != 0) {
    return Socket();
  }
  return s;
}

void Socket::set_timeout(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool Socket::send_all(const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string Socket::read_all(std::chrono::milliseconds timeout) {
  return read_exactly(static_cast<std::size_t>(-1), timeout);
}

std::string Socket::read_exactly(std::size_t want, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (out.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    const std::size_t room = std::min(sizeof buf, want - out.size());
    const ssize_t n = ::recv(fd_, buf, room, 0);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string Socket::read_some(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return {};
  }
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

void Socket::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool Socket::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      return true;
    }
  }
}

namespace {

std::string decode_chunked(const std::string& body) {
  std::string out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto eol = body.find("\r\n", pos);
    if (eol == std::string::npos) {
      break;
    }
    const std::size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    if (size == 0) {
      break;
    }
    out += body.substr(eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}

}  // namespace

HttpResponse parse_http_response(const std::string& raw) {
  HttpResponse r;
  r.raw = raw;
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos || raw.size() < 12) {
    return r;
  }
  r.status = std::atoi(raw.substr(9, 3).c_str());
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    const auto eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      r.headers[core::lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  std::string body = raw.substr(head_end + 4);
  if (core::lower(r.headers["transfer-encoding"]) == "chunked") {
    body = decode_chunked(body);
  } else if (r.headers.count("content-length") != 0) {
    body = body.substr(0, std::stoul(r.headers["content-length"]));
  }
  r.body = body;
  return r;
}

HttpResponse http_request(const std::string& address, const std::string& method,
                          const std::string& path, const std::string& body,
                          const std::map<std::string, std::string>& headers,
                          std::chrono::milliseconds timeout) {
  Socket s = Socket::connect(address, timeout);
  if (!s.valid()) {
    return {};
  }
  std::string req = method + " " + path + " HTTP/1.1\r\n";
  if (headers.count("Host") == 0 && headers.count("host") == 0) {
    req += "Host: " + address + "\r\n";
  }
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
  }
  req += "Connection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  if (!s.send_all(req)) {
    return {};
  }
  // As curl and the SDKs do: stop sending the body once the server answered
  // early (413, 401...), then read that answer. A server that stops reading
  // and closes would otherwise reset the connection under our feet.
  constexpr std::size_t kChunk = 64 * 1024;
  for (std::size_t sent = 0; sent < body.size(); sent += kChunk) {
    pollfd p{s.fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 || !s.send_all(body.substr(sent, kChunk))) {
      break;
    }
  }
  return parse_http_response(s.read_all(timeout));
}

EchoServer::EchoServer(bool ipv6) {
  auto addr = *core::SocketAddress::parse(ipv6 ? "[::1]:0" : "127.0.0.1:0");
  listen_fd_ = ::socket(addr.data()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::bind(listen_fd_, addr.data(), addr.size());
  ::listen(listen_fd_, 1024);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  address_ = core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)->to_string();
  acceptor_ = std::thread([this] { serve(); });
}

EchoServer::~EchoServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  for (auto& t : handlers_) {
    t.join();
  }
}

void EchoServer::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    ++accepted_;
    handlers_.emplace_back([fd, this] {
      char buf[65536];
      while (!stopping_) {
        pollfd cp{fd, POLLIN, 0};
        const int ready = ::poll(&cp, 1, 100);
        if (ready == 0) {
          continue;
        }
        const ssize_t n = ready > 0 ? ::recv(fd, buf, sizeof buf, 0) : -1;
        if (n <= 0) {
          break;
        }
        std::size_t sent = 0;
        while (sent < static_cast<std::size_t>(n)) {
          const ssize_t w =
              ::send(fd, buf + sent, static_cast<std::size_t>(n) - sent, MSG_NOSIGNAL);
          if (w <= 0) {
            ::close(fd);
            return;
          }
          sent += static_cast<std::size_t>(w);
        }
      }
      ::shutdown(fd, SHUT_WR);
      ::close(fd);
    });
  }
}

}  // namespace ferry::test
