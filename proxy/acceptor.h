#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/listener.h"

namespace ferry::proxy {

class Worker;

// One spare descriptor for the whole process. When accept() fails with
// EMFILE the acceptor closes the spare, accepts the waiting connection, closes
// it at once (counted as overflow) and reopens the spare: the queue drains and
// the loop never spins on a listening socket that stays readable.
class ReserveDescriptor {
 public:
  ReserveDescriptor();
  ~ReserveDescriptor();
  // Takes the spare (−1 if another thread has it); give it back with restore().
  int take() { return fd_.exchange(-1); }
  void restore();

 private:
  std::atomic<int> fd_{-1};
};

// Creates the connection object for an accepted socket on a worker.
using ConnectionFactory =
    std::function<void(Worker&, const std::shared_ptr<Listener>&, boost::asio::ip::tcp::socket)>;

// Accepts on one worker's SO_REUSEPORT socket of one listener. Worker thread
// only (created and stopped through Worker::post).
class Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  Acceptor(Worker& worker, std::shared_ptr<Listener> listener, int fd, ReserveDescriptor& reserve,
           ConnectionFactory factory);
  void start();
  // Stops accepting: what the kernel already queued is accepted and served
  // (never reset), then the socket closes. Idempotent.
  void stop();
  const std::shared_ptr<Listener>& listener() const { return listener_; }
  // A reload changed the listener's config (same address and protocol):
  // new connections use the new one; existing ones keep theirs.
  void set_listener(std::shared_ptr<Listener> listener) { listener_ = std::move(listener); }

 private:
  void wait();
  void on_readable(const boost::system::error_code& ec);
  // Accepts up to `budget` connections; true when the queue is empty.
  bool accept_batch(int budget);
  void handle_out_of_descriptors();
  void dispatch(int fd);

  Worker& worker_;
  std::shared_ptr<Listener> listener_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  ReserveDescriptor& reserve_;
  ConnectionFactory factory_;
  bool stopped_ = false;
  bool backing_off_ = false;
};

}  // namespace ferry::proxy
