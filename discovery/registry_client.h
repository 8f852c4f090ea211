#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "discovery/credentials_source.h"
#include "discovery/scheduler.h"
#include "proxy/core/address.h"
#include "proxy/core/config/proxy_config.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::discovery {

struct RegistryClientOptions {
  // ferry-control replicas, in order of preference (ip:port or name:port).
  std::vector<core::HostPort> addresses;
  std::string region = "us-east-1";  // of the SigV4 scope
  // Deadline of one Cloud Map request, connect included.
  core::Duration request_timeout = std::chrono::seconds(5);
  // How long the server may hold a watch; the client waits that plus
  // request_timeout for the answer.
  core::Duration watch_timeout = std::chrono::seconds(30);
  // Between failed rounds of call() (jittered).
  core::Backoff backoff{std::chrono::milliseconds(250), std::chrono::seconds(30)};
  // A larger answer (a huge snapshot) is an error.
  std::size_t max_response_bytes = 32 * core::kMiB;
  // Kept-alive connections to the current replica, per kind (API calls,
  // watches); more concurrent requests queue.
  std::size_t max_connections = 4;
  // A replica given by name is resolved again when the client moves to it
  // and its last answer is older than this.
  core::Duration dns_refresh = std::chrono::seconds(30);

  static RegistryClientOptions from_config(const core::ControlPlaneConfig& config);
};

// The answer to one request.
struct RegistryReply {
  // Set when no HTTP response came back: connect refused or timed out, reset,
  // a response that broke HTTP/1.1 or max_response_bytes, a name that does
  // not resolve, operation_aborted after close().
  boost::system::error_code transport;
  std::uint16_t status = 0;  // HTTP status; 0 with `transport`
  std::string body;
  // The `__type` of an error body without any "namespace#" prefix
  // ("NamespaceNotFound"), and its message; empty on success.
  std::string error_type;
  std::string error_message;
  std::string replica;  // the replica as configured ("host:port")

  bool ok() const { return !transport && status >= 200 && status < 300; }
  // Worth trying again, elsewhere or later: no response, 5xx, 429 or a
  // throttling error code.
  bool retryable() const;
  // "replica 127.0.0.1:9000: 503 ServiceUnavailable: ..." for log lines.
  std::string describe() const;
  // Fills error_type and error_message from an AWS JSON error body (the
  // client does it for every status >= 400).
  void read_error_body();
};

struct RegistryClientStats {
  std::uint64_t requests = 0;   // attempts sent (calls' retries included)
  std::uint64_t failures = 0;   // attempts whose reply was retryable()
  std::uint64_t failovers = 0;  // moves to another replica (or address of a name)
};

// How call() retries.
struct CallPolicy {
  // Attempts in all; 0: no limit but the deadline.
  std::uint32_t max_attempts = 0;
  // From the call to its last attempt's start; 0: none. An attempt already
  // sent still runs to its own request_timeout.
  core::Duration deadline = core::Duration::zero();
  // false: fail over at once between replicas and never sleep (draining).
  bool backoff = true;
};

// The sidecar's client of ferry-control: Cloud Map JSON 1.1 actions (POST /
// with X-Amz-Target) and the watch long-poll (GET /v1/watch), SigV4-signed
// when credentials exist, over kept-alive MessageClient connections.
//
// Replicas: every request goes to the current replica. A retryable failure
// moves the client to the next address of a name that resolved to several,
// then to the next replica (round robin), so the next request fails over.
// Names are resolved on the io_context through Asio's resolver (its own
// thread runs getaddrinfo; never a worker).
//
// Threads: everything runs on the given io_context's thread (the proxy's
// main thread); callbacks are invoked there, never from inside the call that
// started the request. The io_context and the Scheduler outlive the client.
class RegistryClient {
 public:
  using RequestId = std::uint64_t;
  using ReplyCallback = std::function<void(RegistryReply)>;

  RegistryClient(boost::asio::io_context& io, Scheduler& scheduler, RegistryClientOptions options,
                 CredentialsSource credentials, std::uint64_t seed);
  // Drops every outstanding callback (none runs afterwards).
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // One attempt of `action` ("ListNamespaces") with a JSON object body on
  // the current replica.
  RequestId send(std::string_view action, std::string body, ReplyCallback callback);

  // One watch long-poll: `epoch`/`version` are what the caller holds (empty /
  // nullopt: nothing). 200 carries a snapshot, 304 means unchanged.
  RequestId watch(std::string_view namespace_name, std::string_view epoch,
                  std::optional<std::int64_t> version, ReplyCallback callback);

  // `action` with retries: a retryable failure is tried again at once on the
  // next replica and, after a whole round of replicas failed, after the
  // jittered backoff, until `policy` runs out. The callback gets the last
  // reply (a success, a non-retryable error, or the last failure).
  RequestId call(std::string action, std::string body, CallPolicy policy, ReplyCallback callback);

  // Forgets a request: its callback will not run (the exchange itself may
  // still complete). Unknown ids are ignored.
  void cancel(RequestId id);

  // The replica requests go to now, as configured ("host:port").
  std::string current_replica() const;
  std::size_t replica_count() const;
  const RegistryClientStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ferry::discovery
