#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/resilience/scripted_upstream.h"
#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"
#include "tests/integration/support/proxy_process.h"

namespace ferry::test {

// What a batch of client requests got back: status → count; status 0 is a
// request that got no valid response (connect error, reset, timeout).
struct Tally {
  std::map<int, int> by_status;
  int total() const;
  int count(int status) const;
  int failed() const;  // no response, or a 5xx
  std::string describe() const;
};

struct RequestSpec {
  std::string method = "GET";
  std::string path = "/";
  std::string body = {};
  std::map<std::string, std::string> headers = {};
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// `n` requests over `concurrency` client threads (closed loop), each on its
// own connection.
Tally fire(const std::string& address, int n, int concurrency, const RequestSpec& spec = {});

// Open loop: requests at `rps` for `duration`, spread over `threads` client
// threads on absolute schedules (a slow answer does not slow the rate down).
Tally constant_rate(const std::string& address, int rps, std::chrono::milliseconds duration,
                    int threads = 8, const RequestSpec& spec = {});

// One endpoint as GET /clusters shows it.
struct EndpointView {
  std::string address;
  std::string health;
  bool ejected = false;
};
// The endpoints of `cluster`, in config order.
std::vector<EndpointView> endpoints(const ProxyProcess& proxy, const std::string& cluster);
// The endpoint with that address (empty view if absent).
EndpointView endpoint(const ProxyProcess& proxy, const std::string& cluster,
                      const std::string& address);

// A proxy config with one listener `web` (port 0, `listener_keys` added to
// its flow map) in front of the cluster `backend` with `endpoints` (a YAML
// list); `cluster_keys` are more lines of that cluster, indented by 4.
std::string web_to_backend(const std::string& endpoints, const std::string& cluster_keys = "",
                           const std::string& listener_keys = "");

// The /metrics lines that name `cluster`, for a failure message.
std::string cluster_metrics(const ProxyProcess& proxy, const std::string& cluster);

// "[a, b, c]" of the upstreams' addresses, for an `endpoints:` key.
std::string endpoint_list(const std::vector<const ScriptedUpstream*>& upstreams);

// `n` scripted upstreams answering 200 at once.
std::vector<std::unique_ptr<ScriptedUpstream>> make_upstreams(int n);
std::vector<const ScriptedUpstream*> raw(const std::vector<std::unique_ptr<ScriptedUpstream>>& u);

// Waits until the published routable overlay (ferry_endpoints{cluster,state},
// set when a snapshot is handed to the workers) counts `n` endpoints in
// `state`. /clusters shows a host's state as soon as main decides it; the
// workers route by the overlay, one snapshot later.
bool overlay_counts(const ProxyProcess& proxy, const std::string& cluster, const std::string& state,
                    int n, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A metric's value, 0 when the series is absent.
double metric_or_zero(const ProxyProcess& proxy, const std::string& series);

}  // namespace ferry::test
