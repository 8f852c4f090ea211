#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/acceptor.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/listen_sockets.h"
#include "proxy/listener.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

class Worker;

// The listeners of the process, main thread only: the process-wide Listener
// objects, their sockets, and the acceptor each worker runs for each of
// them (created, swapped and stopped through Worker::post once the workers
// run).
//
// A config change is applied in two steps so that it is all or nothing:
// prepare() binds every listener that needs new sockets — any failure
// closes what it bound and leaves everything as it was — and commit()
// then cannot fail. A listener keeps its sockets (and its connections) while
// its name, address and protocol stay the same; other changes (timeouts,
// routes, caps) apply to the connections it accepts from then on.
class ListenerSet {
 public:
  ListenerSet(ProxyMetrics& metrics, std::vector<std::unique_ptr<Worker>>& workers,
              ReserveDescriptor& reserve, ConnectionFactory factory);

  struct Plan {
    std::vector<core::ListenerConfig> configs;  // the new set, in order
    std::vector<ListenSockets> bound;           // per config: sockets for new ones, empty if kept
  };
  // Binds the listeners `configs` adds or moves. On error `*error` names the
  // listener and the address, and nothing changed.
  bool prepare(const std::vector<core::ListenerConfig>& configs, unsigned workers, Plan* plan,
               std::string* error);
  // Makes the plan live. `workers_running`: acceptors are created through
  // posts (else directly, before the threads start).
  void commit(Plan plan, bool workers_running);

  struct Info {
    std::string name;
    std::string address;
    std::string protocol;
  };
  std::vector<Info> infos() const;

  // Drain step 3: ingress acceptors take what the kernel queued and stop;
  // ingress connections finish their request and close. `done` runs on main
  // once every worker did it.
  void stop_ingress(boost::asio::io_context& main, std::function<void()> done);

  // Requests (HTTP) or connections (TCP) in flight on every listener,
  // including listeners a reload removed whose connections still run.
  std::uint32_t in_flight();

 private:
  void retire(std::shared_ptr<Listener> listener, bool remove_acceptors, bool workers_running);
  void on_each_worker(bool workers_running, const std::function<void(Worker&, std::size_t)>& fn);

  ProxyMetrics& metrics_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  ReserveDescriptor& reserve_;
  ConnectionFactory factory_;
  std::vector<std::shared_ptr<Listener>> live_;
  // Removed or replaced by a reload; kept until their connections end, for
  // in_flight() (the drain waits for them too).
  std::vector<std::shared_ptr<Listener>> retired_;
};

}  // namespace ferry::proxy
