#include "proxy/listener_set.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "proxy/connection_set.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

constexpr int kListenBacklog = 4096;

}  // namespace

ListenerSet::ListenerSet(ProxyMetrics& metrics, std::vector<std::unique_ptr<Worker>>& workers,
                         ReserveDescriptor& reserve, ConnectionFactory factory)
    : metrics_(metrics), workers_(workers), reserve_(reserve), factory_(std::move(factory)) {}

bool ListenerSet::prepare(const std::vector<core::ListenerConfig>& configs, unsigned workers,
                          Plan* plan, std::string* error) {
  plan->configs = configs;
  plan->bound.clear();
  plan->bound.resize(configs.size());
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const core::ListenerConfig& c = configs[i];
    auto old = std::find_if(live_.begin(), live_.end(),
                            [&](const auto& l) { return l->name() == c.name; });
    if (old != live_.end() && (*old)->config().address == c.address &&
        (*old)->config().protocol == c.protocol) {
      continue;  // keeps its sockets
    }
    auto bound = bind_listen_sockets(c.address, workers, kListenBacklog);
    if (!bound) {
      *error = "listener " + c.name + ": cannot listen on " + c.address.to_string() + ": " +
               bound.error().message();
      plan->bound.clear();  // closes whatever this prepare bound
      return false;
    }
    plan->bound[i] = std::move(*bound);
  }
  return true;
}

void ListenerSet::on_each_worker(bool workers_running,
                                 const std::function<void(Worker&, std::size_t)>& fn) {
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    Worker* worker = workers_[w].get();
    if (workers_running) {
      worker->post([worker, w, fn] { fn(*worker, w); });
    } else {
      fn(*worker, w);
    }
  }
}

void ListenerSet::commit(Plan plan, bool workers_running) {
  std::vector<std::shared_ptr<Listener>> next;
  for (std::size_t i = 0; i < plan.configs.size(); ++i) {
    const core::ListenerConfig& c = plan.configs[i];
    auto old_it = std::find_if(live_.begin(), live_.end(),
                               [&](const auto& l) { return l->name() == c.name; });
    std::shared_ptr<Listener> old = old_it == live_.end() ? nullptr : *old_it;
    if (plan.bound[i].size() == 0 && old) {
      if (old->config() == c) {
        next.push_back(old);
        continue;
      }
      // Same sockets, new settings: new connections get the new listener.
      auto fresh = std::make_shared<Listener>(c, old->address(), metrics_);
      on_each_worker(workers_running, [fresh](Worker& worker, std::size_t) {
        if (auto acceptor = worker.acceptor(fresh->name())) {
          acceptor->set_listener(fresh);
        }
      });
      retire(old, /*remove_acceptors=*/false, workers_running);
      next.push_back(fresh);
      continue;
    }
    if (old) {
      retire(old, /*remove_acceptors=*/true, workers_running);  // moved or changed protocol
    }
    auto listener = std::make_shared<Listener>(c, plan.bound[i].address(), metrics_);
    auto sockets = std::make_shared<ListenSockets>(std::move(plan.bound[i]));
    on_each_worker(workers_running, [this, listener, sockets](Worker& worker, std::size_t w) {
      auto acceptor =
          std::make_shared<Acceptor>(worker, listener, sockets->release(w), reserve_, factory_);
      worker.add_acceptor(listener->name(), acceptor);
      acceptor->start();
    });
    next.push_back(listener);
  }
  for (const auto& old : live_) {
    const bool kept = std::find(next.begin(), next.end(), old) != next.end();
    const bool renamed_away = std::none_of(next.begin(), next.end(),
                                           [&](const auto& l) { return l->name() == old->name(); });
    if (!kept && renamed_away) {
      retire(old, /*remove_acceptors=*/true, workers_running);
    }
  }
  live_ = std::move(next);
}

void ListenerSet::retire(std::shared_ptr<Listener> listener, bool remove_acceptors,
                         bool workers_running) {
  if (remove_acceptors) {
    on_each_worker(workers_running, [listener](Worker& worker, std::size_t) {
      if (auto acceptor = worker.take_acceptor(listener->name())) {
        acceptor->stop();  // serves what the kernel queued, then closes
      }
      worker.connections().for_each_of_listener(listener.get(), [](Connection& c) { c.drain(); });
    });
  }
  retired_.push_back(std::move(listener));
}

std::vector<ListenerSet::Info> ListenerSet::infos() const {
  std::vector<Info> out;
  for (const auto& l : live_) {
    out.push_back({l->name(), l->address().to_string(), to_string(l->config().protocol)});
  }
  return out;
}

void ListenerSet::stop_ingress(boost::asio::io_context& main, std::function<void()> done) {
  auto pending = std::make_shared<std::size_t>(workers_.size());
  auto finished = std::make_shared<std::function<void()>>(std::move(done));
  if (workers_.empty()) {
    (*finished)();
    return;
  }
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->post([worker, &main, pending, finished] {
      worker->for_each_acceptor([](Acceptor& acceptor) {
        if (acceptor.listener()->ingress()) {
          acceptor.stop();
        }
      });
      worker->connections().for_each_of_direction(core::Direction::Ingress,
                                                  [](Connection& c) { c.drain(); });
      boost::asio::post(main, [pending, finished] {
        if (--*pending == 0) {
          (*finished)();
        }
      });
    });
  }
}

std::uint32_t ListenerSet::in_flight() {
  std::uint32_t total = 0;
  for (const auto& l : live_) {
    total += l->in_flight();
  }
  for (auto it = retired_.begin(); it != retired_.end();) {
    const std::uint32_t n = (*it)->in_flight();
    if (n == 0 && (*it)->active_connections() == 0) {
      it = retired_.erase(it);
      continue;
    }
    total += n;
    ++it;
  }
  return total;
}

}  // namespace ferry::proxy
