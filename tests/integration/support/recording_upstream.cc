#include "tests/integration/support/recording_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "proxy/core/text.h"

namespace ferry::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPollMs = 20;
constexpr std::size_t kMaxHead = 1024 * 1024;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::string> RecordedRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

std::size_t RecordedRequest::header_count(const std::string& name) const {
  return static_cast<std::size_t>(std::count_if(headers.begin(), headers.end(),
                                                [&](const auto& f) { return f.first == name; }));
}

char byte_pattern(std::uint64_t i) {
  return static_cast<char>('a' + (i * 7 + i / 251) % 26);
}

std::uint64_t byte_pattern_checksum(std::uint64_t state, std::string_view data) {
  for (char c : data) {
    state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  return state;
}

std::uint64_t pattern_checksum(std::uint64_t size) {
  std::uint64_t state = 1469598103934665603ULL;
  char buf[65536];
  for (std::uint64_t done = 0; done < size;) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, size - done));
    for (std::size_t i = 0; i < n; ++i) {
      buf[i] = byte_pattern(done + i);
    }
    state = byte_pattern_checksum(state, std::string_view(buf, n));
    done += n;
  }
  return state;
}

// One accepted connection, served on its own thread.
class RecordingUpstream::Connection {
 public:
  Connection(RecordingUpstream& owner, int fd, int id) : owner_(owner), fd_(fd), id_(id) {}
  ~Connection() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  void serve();

 private:
  enum class Fill { Data, Closed, Timeout };
  Fill fill(Clock::time_point deadline = Clock::time_point::max());
  bool read_head(std::string& head, bool first);
  bool read_body(std::size_t index, RecordedRequest& request);
  bool read_line(std::string& line);
  bool consume_body(std::size_t index, RecordedRequest& request, std::uint64_t n);
  bool send_all(std::string_view data);
  bool send_reply(const RecordedRequest& request, const UpstreamReply& reply);
  void sleep_for(std::chrono::milliseconds d);
  void reset();
  void echo();

  RecordingUpstream& owner_;
  int fd_;
  int id_;
  std::string pending_;
  std::uint64_t budget_ = UINT64_MAX;  // response bytes still allowed (close_after_bytes)
};

RecordingUpstream::Connection::Fill RecordingUpstream::Connection::fill(
    Clock::time_point deadline) {
  char buf[65536];
  while (!owner_.stopping_) {
    int wait = kPollMs;
    if (deadline != Clock::time_point::max()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left < 0) {
        return Fill::Timeout;
      }
      wait = static_cast<int>(std::min<long>(left, kPollMs));
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait);
    if (ready == 0) {
      continue;
    }
    const ssize_t n = ready > 0 ? ::recv(fd_, buf, sizeof buf, 0) : -1;
    if (n <= 0) {
      return Fill::Closed;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    owner_.record_bytes(std::string_view(buf, static_cast<std::size_t>(n)));
    return Fill::Data;
  }
  return Fill::Closed;
}

bool RecordingUpstream::Connection::read_head(std::string& head, bool first) {
  std::chrono::microseconds idle_wait{0};
  Clock::time_point deadline = Clock::time_point::max();
  if (!first && pending_.empty() && owner_.random_idle_close(&idle_wait)) {
    deadline = Clock::now() + idle_wait;
  }
  while (true) {
    // Empty lines before a request line are skipped (RFC 9112 §2.2).
    while (pending_.rfind("\r\n", 0) == 0) {
      pending_.erase(0, 2);
    }
    const auto end = pending_.find("\r\n\r\n");
    if (end != std::string::npos) {
      head = pending_.substr(0, end + 4);
      pending_.erase(0, end + 4);
      return true;
    }
    if (pending_.size() > kMaxHead) {
      return false;
    }
    const Fill f = fill(pending_.empty() ? deadline : Clock::time_point::max());
    if (f == Fill::Timeout) {
      ++owner_.idle_closes_;
      return false;
    }
    if (f == Fill::Closed) {
      return false;
    }
  }
}

bool RecordingUpstream::Connection::read_line(std::string& line) {
  while (true) {
    const auto eol = pending_.find("\r\n");
    if (eol != std::string::npos) {
      line = pending_.substr(0, eol);
      pending_.erase(0, eol + 2);
      return true;
    }
    if (fill() != Fill::Data) {
      return false;
    }
  }
}

bool RecordingUpstream::Connection::consume_body(std::size_t index, RecordedRequest& request,
                                                 std::uint64_t n) {
  while (n > 0) {
    if (pending_.empty() && fill() != Fill::Data) {
      return false;
    }
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, pending_.size()));
    const std::string_view piece(pending_.data(), take);
    request.body_checksum = byte_pattern_checksum(request.body_checksum, piece);
    request.body_size += take;
    if (request.body.size() < owner_.options_.max_recorded_body) {
      request.body.append(
          piece.substr(0, std::min(take, owner_.options_.max_recorded_body - request.body.size())));
    }
    pending_.erase(0, take);
    n -= take;
    owner_.update_request(index, [&](RecordedRequest& r) {
      r.body_size = request.body_size;
      if (r.body.size() < request.body.size()) {
        r.body = request.body;
      }
    });
  }
  return true;
}

bool RecordingUpstream::Connection::read_body(std::size_t index, RecordedRequest& request) {
  if (request.chunked) {
    while (true) {
      std::string line;
      if (!read_line(line)) {
        return false;
      }
      const std::string size_text = trim(line.substr(0, line.find(';')));
      if (size_text.empty() || size_text.size() > 15 ||
          size_text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return false;
      }
      const std::uint64_t size = std::stoull(size_text, nullptr, 16);
      if (size == 0) {
        while (read_line(line)) {
          if (line.empty()) {
            return true;  // end of trailers
          }
        }
        return false;
      }
      if (!consume_body(index, request, size) || !read_line(line) || !line.empty()) {
        return false;
      }
    }
  }
  const auto cl = request.header("content-length");
  if (!cl) {
    return true;
  }
  std::uint64_t length = 0;
  try {
    length = std::stoull(*cl);
  } catch (const std::exception&) {
    return false;
  }
  return consume_body(index, request, length);
}

bool RecordingUpstream::Connection::send_all(std::string_view data) {
  std::size_t sent = 0;
  const std::size_t allowed =
      static_cast<std::size_t>(std::min<std::uint64_t>(budget_, data.size()));
  while (sent < allowed && !owner_.stopping_) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, kPollMs) <= 0) {
      continue;
    }
    const ssize_t n = ::send(fd_, data.data() + sent, allowed - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  budget_ -= sent;
  return sent == data.size();
}

void RecordingUpstream::Connection::sleep_for(std::chrono::milliseconds d) {
  const auto until = Clock::now() + d;
  while (!owner_.stopping_ && Clock::now() < until) {
    ::usleep(2000);
  }
}

void RecordingUpstream::Connection::reset() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

void RecordingUpstream::Connection::echo() {
  while (!owner_.stopping_) {
    if (pending_.empty() && fill() != Fill::Data) {
      break;
    }
    const std::string out = std::move(pending_);
    pending_.clear();
    if (!send_all(out)) {
      break;
    }
  }
  ::shutdown(fd_, SHUT_WR);
}

bool RecordingUpstream::Connection::send_reply(const RecordedRequest& request,
                                               const UpstreamReply& reply) {
  budget_ = reply.close_after_bytes.value_or(UINT64_MAX);
  sleep_for(reply.delay);
  if (reply.raw) {
    return send_all(*reply.raw) && !reply.close_after_bytes;
  }
  const std::uint64_t body_size =
      reply.generated_body_size > 0 ? reply.generated_body_size : reply.body.size();
  std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reply.reason + "\r\n";
  for (const auto& [k, v] : reply.headers) {
    head += k + ": " + v + "\r\n";
  }
  const bool bodyless = request.method == "HEAD" || reply.status == 204 || reply.status == 304 ||
                        reply.status / 100 == 1;
  if (reply.chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (!reply.no_framing && reply.status != 204 && reply.status / 100 != 1) {
    head += "Content-Length: " + std::to_string(body_size) + "\r\n";
  }
  if (reply.close) {
    head += "Connection: close\r\n";
  }
  head += "\r\n";
  if (!send_all(head)) {
    return false;
  }
  sleep_for(reply.body_delay);
  if (!bodyless) {
    std::string piece;
    for (std::uint64_t done = 0; done < body_size;) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(reply.chunk_size, body_size - done));
      if (reply.generated_body_size > 0) {
        piece.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          piece[i] = byte_pattern(done + i);
        }
      } else {
        piece.assign(reply.body, static_cast<std::size_t>(done), n);
      }
      if (reply.chunked) {
        char size_line[32];
        std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        piece.insert(0, size_line);
        piece += "\r\n";
      }
      if (!send_all(piece)) {
        return false;
      }
      done += n;
    }
    if (reply.chunked && !send_all("0\r\n\r\n")) {
      return false;
    }
  }
  return !reply.close_after_bytes;
}

void RecordingUpstream::Connection::serve() {
  for (bool first = true; !owner_.stopping_; first = false) {
    std::string head;
    if (!read_head(head, first)) {
      break;
    }
    RecordedRequest request;
    request.connection = id_;
    request.head = head;
    request.body_checksum = 1469598103934665603ULL;
    const auto line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = line.rfind(' ');
    if (sp1 != std::string::npos && sp2 > sp1) {
      request.method = line.substr(0, sp1);
      request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      request.version = line.substr(sp2 + 1);
    }
    for (std::size_t pos = line_end + 2; pos + 2 < head.size();) {
      const auto eol = head.find("\r\n", pos);
      const std::string field = head.substr(pos, eol - pos);
      const auto colon = field.find(':');
      if (colon != std::string::npos) {
        request.headers.emplace_back(core::lower(field.substr(0, colon)),
                                     trim(field.substr(colon + 1)));
      }
      pos = eol + 2;
    }
    const auto te = request.header("transfer-encoding");
    request.chunked = te && core::lower(*te).find("chunked") != std::string::npos;
    const std::size_t index = owner_.add_request(request);
    sleep_for(owner_.options_.body_read_delay);
    if (!read_body(index, request)) {
      break;
    }
    owner_.update_request(index, [&](RecordedRequest& r) {
      r.body_checksum = request.body_checksum;
      r.complete = true;
    });
    request.complete = true;
    const UpstreamReply reply = owner_.reply_for(request);
    if (reply.reset) {
      sleep_for(reply.delay);
      reset();
      return;
    }
    if (reply.silent) {
      while (fill() == Fill::Data) {
      }
      return;
    }
    if (!send_reply(request, reply) || reply.close) {
      break;
    }
    if (reply.echo_after) {
      echo();
      return;
    }
  }
}

RecordingUpstream::RecordingUpstream() : RecordingUpstream(Options{}) {}

RecordingUpstream::RecordingUpstream(Options options)
    : options_(std::move(options)), rng_state_(options_.seed * 2654435761ULL + 1) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(options_.port);
  if (options_.port != 0 && listen_fd_ >= 0) {
    const int one = 1;  // a port reserved by the test and released just before
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 1024) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("RecordingUpstream: cannot listen on 127.0.0.1");
  }
  address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  acceptor_ = std::thread([this] { accept_loop(); });
}

RecordingUpstream::~RecordingUpstream() {
  stopping_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  for (auto& t : handlers_) {
    t.join();
  }
}

void RecordingUpstream::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) {
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int id = ++accepted_;
    ++open_;
    handlers_.emplace_back([this, fd, id] {
      {
        Connection connection(*this, fd, id);
        connection.serve();
      }
      {
        std::lock_guard lock(mutex_);
        --open_;
      }
      changed_.notify_all();
    });
  }
}

void RecordingUpstream::set_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  options_.handler = std::move(handler);
}

std::size_t RecordingUpstream::add_request(RecordedRequest request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(request));
  changed_.notify_all();
  return requests_.size() - 1;
}

void RecordingUpstream::update_request(std::size_t index,
                                       const std::function<void(RecordedRequest&)>& change) {
  std::lock_guard lock(mutex_);
  change(requests_[index]);
  changed_.notify_all();
}

UpstreamReply RecordingUpstream::reply_for(const RecordedRequest& request) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    handler = options_.handler;
  }
  return handler ? handler(request) : UpstreamReply{};
}

void RecordingUpstream::record_bytes(std::string_view data) {
  bytes_received_ += data.size();
  std::lock_guard lock(mutex_);
  if (raw_.size() < options_.max_recorded_raw) {
    raw_.append(data.substr(0, options_.max_recorded_raw - raw_.size()));
  }
}

bool RecordingUpstream::random_idle_close(std::chrono::microseconds* wait) {
  if (options_.idle_close_probability <= 0) {
    return false;
  }
  std::lock_guard lock(mutex_);
  rng_state_ = rng_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
  const double roll = static_cast<double>(rng_state_ >> 11) / 9007199254740992.0;
  if (roll >= options_.idle_close_probability) {
    return false;
  }
  rng_state_ = rng_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
  const auto max = static_cast<std::uint64_t>(options_.idle_close_max.count()) + 1;
  *wait = std::chrono::microseconds((rng_state_ >> 33) % max);
  return true;
}

std::vector<RecordedRequest> RecordingUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t RecordingUpstream::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::string RecordingUpstream::raw_received() const {
  std::lock_guard lock(mutex_);
  return raw_;
}

bool RecordingUpstream::wait_requests(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool RecordingUpstream::wait_all_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return open_.load() == 0; });
}

}  // namespace ferry::test
