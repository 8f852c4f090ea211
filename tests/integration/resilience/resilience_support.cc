#include "tests/integration/resilience/resilience_support.h"

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

namespace ferry::test {

int Tally::total() const {
  int n = 0;
  for (const auto& [status, count] : by_status) {
    n += count;
  }
  return n;
}

int Tally::count(int status) const {
  auto it = by_status.find(status);
  return it == by_status.end() ? 0 : it->second;
}

int Tally::failed() const {
  int n = 0;
  for (const auto& [status, count] : by_status) {
    n += (status == 0 || status >= 500) ? count : 0;
  }
  return n;
}

std::string Tally::describe() const {
  std::ostringstream out;
  for (const auto& [status, count] : by_status) {
    out << status << ": " << count << "  ";
  }
  return out.str();
}

namespace {

int send_one(const std::string& address, const RequestSpec& spec) {
  return http_request(address, spec.method, spec.path, spec.body, spec.headers, spec.timeout)
      .status;
}

}  // namespace

Tally fire(const std::string& address, int n, int concurrency, const RequestSpec& spec) {
  std::atomic<int> next{0};
  std::mutex mutex;
  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      std::map<int, int> mine;
      while (next.fetch_add(1) < n) {
        ++mine[send_one(address, spec)];
      }
      std::lock_guard lock(mutex);
      for (const auto& [status, count] : mine) {
        tally.by_status[status] += count;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  return tally;
}

Tally constant_rate(const std::string& address, int rps, std::chrono::milliseconds duration,
                    int threads, const RequestSpec& spec) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now() + std::chrono::milliseconds(20);
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL * threads / rps);
  const int per_thread =
      static_cast<int>(static_cast<long long>(rps) * duration.count() / 1000 / threads);
  std::mutex mutex;
  Tally tally;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::map<int, int> mine;
      // Thread t owns requests t, t + T, t + 2T ...: one evenly spaced stream.
      const auto offset = std::chrono::nanoseconds(1'000'000'000LL * t / rps);
      for (int i = 0; i < per_thread; ++i) {
        std::this_thread::sleep_until(start + offset + i * interval);  // the schedule itself
        ++mine[send_one(address, spec)];
      }
      std::lock_guard lock(mutex);
      for (const auto& [status, count] : mine) {
        tally.by_status[status] += count;
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  return tally;
}

std::vector<EndpointView> endpoints(const ProxyProcess& proxy, const std::string& cluster) {
  std::vector<EndpointView> out;
  const HttpResponse r = proxy.admin_get("/clusters");
  if (r.status != 200) {
    return out;
  }
  const boost::json::value parsed = boost::json::parse(r.body);
  for (const auto& c : parsed.as_array()) {
    if (c.at("name").as_string() != cluster) {
      continue;
    }
    for (const auto& e : c.at("endpoints").as_array()) {
      EndpointView v;
      v.address = std::string(e.at("address").as_string());
      v.health = std::string(e.at("health").as_string());
      v.ejected = e.at("ejected").as_bool();
      out.push_back(std::move(v));
    }
  }
  return out;
}

EndpointView endpoint(const ProxyProcess& proxy, const std::string& cluster,
                      const std::string& address) {
  for (EndpointView& v : endpoints(proxy, cluster)) {
    if (v.address == address) {
      return v;
    }
  }
  return {};
}

std::string web_to_backend(const std::string& endpoints, const std::string& cluster_keys,
                           const std::string& listener_keys) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "listeners:\n"
         "  - {name: web, address: 127.0.0.1:0, cluster: backend" +
         (listener_keys.empty() ? "" : ", " + listener_keys) +
         "}\n"
         "clusters:\n"
         "  - name: backend\n"
         "    endpoints: " +
         endpoints + "\n" + cluster_keys;
}

std::string cluster_metrics(const ProxyProcess& proxy, const std::string& cluster) {
  const HttpResponse r = proxy.admin_get("/metrics");
  const std::string label = "cluster=\"" + cluster + "\"";
  std::string out;
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(label) != std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

std::string endpoint_list(const std::vector<const ScriptedUpstream*>& upstreams) {
  std::string out = "[";
  for (std::size_t i = 0; i < upstreams.size(); ++i) {
    out += (i == 0 ? "" : ", ") + upstreams[i]->address();
  }
  return out + "]";
}

std::vector<std::unique_ptr<ScriptedUpstream>> make_upstreams(int n) {
  std::vector<std::unique_ptr<ScriptedUpstream>> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(std::make_unique<ScriptedUpstream>());
  }
  return out;
}

std::vector<const ScriptedUpstream*> raw(const std::vector<std::unique_ptr<ScriptedUpstream>>& u) {
  std::vector<const ScriptedUpstream*> out;
  for (const auto& p : u) {
    out.push_back(p.get());
  }
  return out;
}

bool overlay_counts(const ProxyProcess& proxy, const std::string& cluster, const std::string& state,
                    int n, std::chrono::milliseconds timeout) {
  const std::string series = "ferry_endpoints{cluster=\"" + cluster + "\",state=\"" + state + "\"}";
  return eventually([&] { return proxy.metric(series) == n; }, timeout);
}

double metric_or_zero(const ProxyProcess& proxy, const std::string& series) {
  const double v = proxy.metric(series);
  return v < 0 ? 0 : v;
}

}  // namespace ferry::test
