#pragma once

#include <map>
#include <memory>
#include <string>

#include "filters/fault_injector.h"
#include "filters/token_bucket.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

class HttpListenerRuntime;

// Builds the policy filters of every HTTP listener for each new snapshot:
// the listener's `rate_limit` (before every route's filters), then each
// route's `rate_limit` and `fault`. Main thread only.
//
// The policies' state is process-wide and must not restart with every
// snapshot (a discovery update or an ejection rebuilds it): a token bucket
// rebuilt each time would hand out a fresh burst, a fault injector would
// forget its active faults. So the builder keeps each bucket and injector,
// keyed by listener (and route position), for as long as its config is
// unchanged, and hands the same object to the next snapshot's filter. The
// filters hold shared references, so a snapshot still in use keeps what it
// was built with.
class FilterChainBuilder {
 public:
  explicit FilterChainBuilder(ProxyMetrics& metrics) : metrics_(metrics) {}

  // Adds the filters of `runtime`'s listener and routes to it. Called while
  // a snapshot is being built, once per HTTP listener.
  void attach(HttpListenerRuntime& runtime);

  // Forgets the state that no attach() since the previous prune() used
  // (listeners, routes or policies gone from the config). Called once the
  // snapshot's listeners are all attached.
  void prune();

  std::size_t bucket_count() const { return buckets_.size(); }
  std::size_t injector_count() const { return injectors_.size(); }

 private:
  template <typename Config, typename State>
  struct Entry {
    Config config;
    std::shared_ptr<State> state;
    bool used = false;
  };

  std::shared_ptr<filters::TokenBucket> bucket(const std::string& key,
                                               const core::RateLimitConfig& config);
  std::shared_ptr<filters::FaultInjector> injector(const std::string& key,
                                                   const core::FaultConfig& config);

  ProxyMetrics& metrics_;
  std::map<std::string, Entry<core::RateLimitConfig, filters::TokenBucket>> buckets_;
  std::map<std::string, Entry<core::FaultConfig, filters::FaultInjector>> injectors_;
};

}  // namespace ferry::proxy
