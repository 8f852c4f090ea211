#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "proxy/core/address.h"

// Helpers for the HTTP/1 integration tests: every wait is bounded.
namespace ferry::core::http1::testing {

using namespace std::chrono_literals;

// Polls `predicate` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 5000ms);

// Runs `io` on the calling thread until `predicate` holds or `timeout` passes.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& predicate,
               std::chrono::milliseconds timeout = 5000ms);

struct ProcessResult {
  int exit_code = -1;  // -1: killed at the timeout
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with `input` on stdin; kills it after
// `timeout`. Throws if the tool is missing: tests never skip silently.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = 10000ms);

// A long-running peer (nginx): started with fork/exec, killed by PID and
// reaped when destroyed. Throws if the tool is missing.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  bool running();

 private:
  int pid_ = -1;
};

// True once something accepts TCP connections on `address` (bounded wait).
bool wait_listening(const SocketAddress& address, std::chrono::milliseconds timeout = 5000ms);

// Fails the calling test (via an exception) when `tool` is not in PATH.
void require_tool(const std::string& tool);

// A free TCP port on 127.0.0.1 (bound then released: good enough for a test).
std::uint16_t free_port();

// A blocking loopback TCP client for raw-byte tests.
class RawClient {
 public:
  explicit RawClient(const SocketAddress& address);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes);
  void shutdown_write();
  // Reads until `terminator` has been received (it stays in the buffer),
  // the peer closes, or the timeout passes; returns everything read so far.
  std::string read_until(const std::string& terminator, std::chrono::milliseconds timeout = 5000ms);
  // Reads until the peer closes (or the timeout); true when it closed.
  bool read_to_eof(std::string& out, std::chrono::milliseconds timeout = 5000ms);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// A scripted raw server on 127.0.0.1: each accepted connection is handed to
// the next script (a blocking function of the socket fd) on a thread.
class ScriptedServer {
 public:
  using Script = std::function<void(int fd)>;
  explicit ScriptedServer(std::vector<Script> scripts);
  ~ScriptedServer();
  SocketAddress address() const { return address_; }
  int accepted() const { return accepted_.load(); }

  // Blocking helpers for scripts.
  static std::string read_head(int fd, std::chrono::milliseconds timeout = 5000ms);
  static void write_all(int fd, const std::string& bytes);

 private:
  int listen_fd_ = -1;
  SocketAddress address_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An io_context running on its own thread, for tests that block on a
// subprocess while a server answers.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  boost::asio::io_context& io() { return io_; }
  void start();
  void stop();

  // Runs `f` on the io thread and waits for its result.
  template <class F>
  auto call(F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

}  // namespace ferry::core::http1::testing
