#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "filters/prng.h"
#include "proxy/buffer_pool.h"

namespace ferry::proxy {

class Acceptor;
class RuntimeSnapshot;
class ConnectionSet;
class UpstreamPools;

// Reads in a row on one connection (one direction of a TCP session) before it
// yields the worker to the other connections.
inline constexpr int kReadsPerTurn = 16;

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
  UpstreamPools& pools() { return *pools_; }
  // The worker's own random numbers (request ids, jitter seeds).
  std::uint64_t random() { return prng_.next(); }
  filters::Prng& prng() { return prng_; }

  // The snapshot new connections and requests use. In-flight work keeps the
  // one it started with (it holds its own reference).
  const std::shared_ptr<const RuntimeSnapshot>& snapshot() const { return snapshot_; }
  // Installs a new snapshot; pools of endpoints it no longer lists retire.
  void set_snapshot(std::shared_ptr<const RuntimeSnapshot> snapshot);

  // This worker's acceptors, by listener name.
  void add_acceptor(const std::string& listener, std::shared_ptr<Acceptor> acceptor);
  // Removes and returns one (null if unknown).
  std::shared_ptr<Acceptor> take_acceptor(const std::string& listener);
  std::shared_ptr<Acceptor> acceptor(const std::string& listener) const;
  template <typename Fn>
  void for_each_acceptor(Fn&& fn) {
    for (auto& [name, acceptor] : acceptors_) {
      fn(*acceptor);
    }
  }

 private:
  void run();

  const unsigned index_;
  // Destroyed after the io_context (declared first): pending handlers own
  // connections that return buffers to this pool when they are destroyed.
  BufferPool buffers_;
  std::unique_ptr<ConnectionSet> connections_;
  std::map<std::string, std::shared_ptr<Acceptor>> acceptors_;
  filters::Prng prng_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  // Single-threaded I/O: no locking in the reactor (posts from main still
  // go through the locked scheduler queue).
  boost::asio::io_context context_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  // Pools own upstream connections whose handlers live in context_: created
  // after it, destroyed before it.
  std::unique_ptr<UpstreamPools> pools_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace ferry::proxy
