#pragma once

#include <chrono>
#include <map>
#include <string>

#include "perf/registry_bench/signed_client.h"

namespace ferry::perf {

struct BenchOptions {
  core::SocketAddress endpoint;
  core::AwsCredentials credentials{"AKIDFERRYBENCH", "ferry-bench-secret", ""};
  std::string region = "us-east-1";
  std::chrono::seconds duration{10};
  std::size_t clients = 64;          // register: concurrent registering clients
  std::size_t discover_clients = 1;  // discover: concurrent callers (closed loop)
  std::size_t instances = 1000;      // discover: instances in the service
  std::size_t max_results = 1000;    // discover: MaxResults asked
  std::size_t watchers = 100;        // propagation: long-polling watchers
  std::size_t changes = 300;         // propagation: registrations delivered
};

struct BenchResult {
  std::string name;
  double rate = 0;  // completed operations per second
  Summary latency;  // seconds
  std::size_t errors = 0;
  std::map<std::string, double> extra;
};

// Durable registrations per second: `clients` connections each re-register
// one of their 10 instances with a fresh CreatorRequestId, back to back, for
// `duration`. Every one is a durable write (a new operation record).
BenchResult bench_register(boost::asio::io_context& io, const BenchOptions& options);

// DiscoverInstances latency with `instances` instances in the service.
BenchResult bench_discover(boost::asio::io_context& io, const BenchOptions& options);

// From a registration's acknowledgement (its 2xx reaching the writer) to
// the snapshot carrying it reaching each of `watchers` long-polls. The
// server wakes the watchers in the same loop turn that answers the writer,
// so most deliveries precede the acknowledgement (counted as 0); the
// distribution from the request's send is reported too.
BenchResult bench_propagation(boost::asio::io_context& io, const BenchOptions& options);

}  // namespace ferry::perf
