#include "tests/integration/support/http_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "proxy/core/text.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;

long status_field_kb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

}  // namespace

std::optional<std::string> ClientResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

HttpClient::HttpClient(const std::string& address, std::chrono::milliseconds timeout)
    : socket_(Socket::connect(address, timeout)) {}

HttpClient::Fill HttpClient::fill(Clock::time_point deadline) {
  if (eof_) {
    return Fill::Closed;
  }
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) {
    return Fill::Timeout;
  }
  pollfd p{socket_.fd(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
    return Fill::Timeout;
  }
  char buf[65536];
  const ssize_t n = ::recv(socket_.fd(), buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return Fill::Closed;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return Fill::Data;
}

ClientResponse HttpClient::read_response(bool head_request, std::chrono::milliseconds timeout) {
  ClientResponse r;
  const auto deadline = Clock::now() + timeout;
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (fill(deadline) != Fill::Data) {
      return r;
    }
  }
  const std::string head = buffer_.substr(0, head_end + 2);
  buffer_.erase(0, head_end + 4);
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) {
    return r;
  }
  r.status = std::atoi(head.substr(9, 3).c_str());
  const auto line_end = head.find("\r\n");
  r.reason = head.size() > 13 ? head.substr(13, line_end - 13) : std::string();
  for (std::size_t pos = line_end + 2; pos < head.size();) {
    const auto eol = head.find("\r\n", pos);
    const std::string field = head.substr(pos, eol - pos);
    const auto colon = field.find(':');
    if (colon != std::string::npos) {
      std::string value = field.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.pop_back();
      }
      r.headers.emplace_back(core::lower(field.substr(0, colon)), value);
    }
    pos = eol + 2;
  }
  const bool no_body = head_request || r.status / 100 == 1 || r.status == 204 || r.status == 304;
  const auto te = r.header("transfer-encoding");
  const auto cl = r.header("content-length");
  if (no_body) {
    r.complete = true;
  } else if (te && core::lower(*te).find("chunked") != std::string::npos) {
    r.chunked = true;
    while (true) {
      std::size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        if (fill(deadline) != Fill::Data) {
          return r;
        }
      }
      const std::string size_text = buffer_.substr(0, buffer_.find_first_of(";\r", 0));
      char* end_ptr = nullptr;
      const std::size_t size = std::strtoul(size_text.c_str(), &end_ptr, 16);
      if (size_text.empty() || *end_ptr != '\0') {
        return r;  // not a chunk-size line: the response is broken
      }
      if (size == 0) {
        // "0\r\n" then optional trailer lines, then an empty line.
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n", eol)) == std::string::npos) {
          if (fill(deadline) != Fill::Data) {
            return r;
          }
        }
        buffer_.erase(0, end + 4);
        r.complete = true;
        return r;
      }
      while (buffer_.size() < eol + 2 + size + 2) {
        if (fill(deadline) != Fill::Data) {
          if (buffer_.size() > eol + 2) {
            r.body += buffer_.substr(eol + 2, size);
          }
          return r;
        }
      }
      r.body += buffer_.substr(eol + 2, size);
      buffer_.erase(0, eol + 2 + size + 2);
    }
  } else if (cl) {
    const std::size_t length = std::strtoul(cl->c_str(), nullptr, 10);
    while (buffer_.size() < length) {
      if (fill(deadline) != Fill::Data) {
        r.body = buffer_;
        buffer_.clear();
        return r;
      }
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    r.complete = true;
  } else {
    Fill f;
    while ((f = fill(deadline)) == Fill::Data) {
    }
    r.body = buffer_;
    buffer_.clear();
    r.complete = f == Fill::Closed;
  }
  return r;
}

bool HttpClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const Fill f = fill(deadline);
    if (f == Fill::Closed) {
      return true;
    }
    if (f == Fill::Timeout) {
      return false;
    }
  }
}

std::string make_request(const std::string& method, const std::string& target,
                         const std::string& host,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\r\n";
  if (!host.empty()) {
    out += "Host: " + host + "\r\n";
  }
  for (const auto& [k, v] : headers) {
    out += k + ": " + v + "\r\n";
  }
  if (!body.empty()) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

long vm_hwm_kb(int pid) {
  return status_field_kb(pid, "VmHWM");
}

long vm_rss_kb(int pid) {
  return status_field_kb(pid, "VmRSS");
}

}  // namespace ferry::test
