#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "proxy/buffer_pool.h"

namespace ferry::proxy {

class RuntimeSnapshot;
class ConnectionSet;

// One worker thread: its own io_context (concurrency hint 1), and everything
// its connections touch — the current snapshot, the buffer pool, the set of
// live connections. Nothing here is shared with other workers; the only way in
// from another thread is post().
class Worker {
 public:
  // `index` is 0-based; the worker writes stats shard index + 1.
  Worker(unsigned index, std::size_t buffer_size);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread; it runs until stop().
  void start();
  // Stops the loop and joins the thread; called on main at exit. Work still
  // queued is destroyed with the io_context, on main, after the join.
  void stop();

  unsigned index() const { return index_; }
  boost::asio::io_context& context() { return context_; }

  // Runs `fn` on this worker's thread (from any thread).
  void post(std::function<void()> fn);

  // --- worker-thread only ---

  BufferPool& buffers() { return buffers_; }
  ConnectionSet& connections() { return *connections_; }

  // The snapshot new connections and requests use. In-flight work keeps the
  // one it started with (it holds its own reference).
  const std::shared_ptr<const RuntimeSnapshot>& snapshot() const { return snapshot_; }
  void set_snapshot(std::shared_ptr<const RuntimeSnapshot> snapshot) {
    snapshot_ = std::move(snapshot);
  }

 private:
  void run();

  const unsigned index_;
  // Destroyed after the io_context (declared first): pending handlers own
  // connections that return buffers to this pool when they are destroyed.
  BufferPool buffers_;
  std::unique_ptr<ConnectionSet> connections_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  boost::asio::io_context context_{1};
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace ferry::proxy
