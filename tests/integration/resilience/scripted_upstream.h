#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::test {

// What the upstream does with one request.
struct UpstreamAction {
  enum class Kind {
    Respond,          // a complete response (after `delay`)
    Reset,            // nothing: the connection is reset (RST) once the request arrived
    ResetAfterHead,   // a head announcing a longer body, part of it, then RST
    ResetMidChunked,  // a chunked head and one chunk, then RST (no last chunk)
    Close,            // nothing: the connection is closed gracefully (FIN)
    Silent,           // never answers; the connection stays open until the peer leaves
  };
  Kind kind = Kind::Respond;
  int status = 200;
  std::string body = "ok";
  std::chrono::microseconds delay{0};  // before the response
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // "connection: close" after the response

  static UpstreamAction respond(int status, std::chrono::microseconds delay = {}) {
    UpstreamAction a;
    a.status = status;
    a.delay = delay;
    return a;
  }
  static UpstreamAction of(Kind kind) {
    UpstreamAction a;
    a.kind = kind;
    return a;
  }
};

// One request as the upstream saw it.
struct SeenRequest {
  std::uint64_t index = 0;  // 0-based arrival order
  int connection = 0;       // 1-based accept order
  std::string method;
  std::string path;
  std::string host;
  std::string user_agent;
  std::string request_id;
  std::uint64_t body_size = 0;
  // Every field, names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;

  bool has_header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) {
        return true;
      }
    }
    return false;
  }
};

// A scriptable HTTP/1.1 upstream for the resilience tests and measurements:
// one Asio thread on 127.0.0.1 with an ephemeral port, keep-alive, any
// number of connections. Each request (once its body arrived) is answered
// with what the script returns for it: a status after a delay, a reset
// before or after the response started, a graceful close, or silence. It
// can stop listening (connections refused) and listen again on the same
// port. Counts requests, connections and concurrent requests (with the
// peak); every counter is readable from any thread.
class ScriptedUpstream {
 public:
  using Script = std::function<UpstreamAction(const SeenRequest&)>;

  // Default script: 200 "ok" at once. `address` "127.0.0.1:0" picks a port.
  explicit ScriptedUpstream(Script script = {}, const std::string& address = "127.0.0.1:0");
  ~ScriptedUpstream();
  ScriptedUpstream(const ScriptedUpstream&) = delete;
  ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

  // "127.0.0.1:PORT".
  const std::string& address() const { return address_; }
  // Applies to requests arriving from now on (any thread).
  void set_script(Script script);

  // Closes the listening socket (new connections are refused; open ones
  // keep being served) / binds the same port again. Any thread; both
  // complete before returning.
  void stop_listening();
  bool start_listening();
  // Closes every open connection at once (as a crash would); the listener stays.
  void drop_connections();

  std::uint64_t requests() const { return requests_.load(); }
  // Requests whose path starts with `prefix`.
  std::uint64_t requests_to(const std::string& prefix) const;
  int connections() const { return connections_.load(); }
  int active() const { return active_.load(); }
  int peak_active() const { return peak_active_.load(); }
  void reset_peak() { peak_active_.store(active_.load()); }
  // The most recent requests (at most the last 10 000).
  std::vector<SeenRequest> seen() const;

 private:
  class Connection;
  struct State;

  void accept_next();  // io thread

  std::unique_ptr<State> state_;
  std::string address_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<int> connections_{0};
  std::atomic<int> active_{0};
  std::atomic<int> peak_active_{0};
  std::thread thread_;
};

}  // namespace ferry::test
