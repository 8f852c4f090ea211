#include "proxy/cluster.h"

namespace ferry::proxy {

Cluster::Cluster(std::string name, UpstreamOptions options,
                 std::vector<std::shared_ptr<filters::Host>> hosts,
                 std::shared_ptr<ClusterStats> stats, unsigned workers)
    : name_(std::move(name)),
      options_(options),
      hosts_(std::move(hosts)),
      stats_(std::move(stats)),
      per_worker_(new PerWorker[workers + 1]),
      workers_(workers) {}

namespace {

bool routable(const filters::Host& host) {
  return !host.state.ejected.load(std::memory_order_relaxed) &&
         host.health() != filters::HealthStatus::Unhealthy;
}

}  // namespace

filters::Host* Cluster::pick(unsigned worker, const filters::Host* exclude) const {
  const std::size_t n = hosts_.size();
  if (n == 0) {
    return nullptr;
  }
  std::uint64_t& next = per_worker_[worker < workers_ ? worker : workers_].next;
  filters::Host* fallback = nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    filters::Host* host = hosts_[(next + i) % n].get();
    if (!routable(*host)) {
      continue;
    }
    if (host == exclude) {
      fallback = host;
      continue;
    }
    next += i + 1;
    return host;
  }
  if (fallback != nullptr) {
    return fallback;
  }
  // Nothing routable: route across all hosts rather than fail every request.
  filters::Host* host = hosts_[next % n].get();
  ++next;
  return host;
}

}  // namespace ferry::proxy
