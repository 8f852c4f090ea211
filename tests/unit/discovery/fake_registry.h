#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "discovery/credentials_source.h"
#include "discovery/namespace_snapshot.h"
#include "proxy/core/address.h"
#include "proxy/core/http1/message_server.h"
#include "proxy/core/sigv4/verifier.h"
#include "tests/unit/discovery/manual_scheduler.h"

namespace ferry::discovery::test {

// Runs `io` (and the scheduler's zero-delay callbacks) until `pred` holds or
// `timeout` of real time passed. Only for real loopback I/O; simulated time
// moves with ManualScheduler::advance.
bool run_until(boost::asio::io_context& io, ManualScheduler* scheduler,
               const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A tiny ferry-control for unit tests, on 127.0.0.1 (a real MessageServer):
// the watch API over snapshots the test sets, and the Cloud Map actions
// self-registration uses, over an in-memory model. Every request is
// recorded; failures can be scripted per action.
class FakeRegistry {
 public:
  struct Recorded {
    std::string action;  // X-Amz-Target's action, or "Watch"
    std::string target;  // request-target
    std::string body;
    std::map<std::string, std::string> headers;
  };
  struct Instance {
    std::string health = "HEALTHY";
    std::map<std::string, std::string> attributes;
  };
  struct Service {
    std::string id;
    std::string name;
    bool custom_health = true;
    std::map<std::string, Instance> instances;
  };

  explicit FakeRegistry(boost::asio::io_context& io);
  ~FakeRegistry();

  core::HostPort host_port() const;
  std::string address() const;

  // Stops answering: closes the listener and every connection.
  void stop();
  // Listens again on the same port.
  void restart();

  // --- watch API ---
  // Sets the namespace's snapshot text (its epoch/version read from it) and
  // answers every parked watcher of the namespace.
  void set_snapshot(const std::string& namespace_name, std::string json);
  // Answers 304 to every parked watcher.
  void expire_watches();
  std::size_t parked_watches() const;
  // Builds the snapshot of a namespace from the Cloud Map model (version
  // bumps on every change) and publishes it with set_snapshot.
  void publish_model(const std::string& namespace_name);

  // --- scripted failures: the next `count` requests for `action` ("Watch"
  // for the watch API, "*" for any) get `status` with `error_type`. ---
  void fail_next(const std::string& action, int count, std::uint16_t status = 503,
                 const std::string& error_type = "ServiceUnavailable");
  void clear_failures() { failures_.clear(); }
  // GetOperation answers PENDING this many times per operation first.
  void set_pending_polls(int polls) { pending_polls_ = polls; }
  // ListServices pages hold at most this many services.
  void set_page_size(std::size_t size) { page_size_ = size; }
  // Verify SigV4 with these keys (403 on a bad signature).
  void require_signature(std::shared_ptr<const core::SigV4Verifier> verifier) {
    verifier_ = std::move(verifier);
  }

  // --- the model ---
  std::map<std::string, std::string> namespaces;  // name -> id
  // Namespaces ListNamespaces does not show (a peer created one meanwhile).
  std::set<std::string> unlisted;
  std::map<std::string, Service> services;  // id -> service
  std::string epoch = "epoch-1";
  std::int64_t version = 0;
  Service* find_service(const std::string& name);

  const std::vector<Recorded>& requests() const { return requests_; }
  int count(const std::string& action) const;
  void clear_requests() { requests_.clear(); }

 private:
  struct Parked {
    std::string namespace_name;
    core::http1::Responder responder;
  };
  void handle(core::http1::Request request, core::http1::Responder responder);
  void watch(const core::http1::Request& request, core::http1::Responder& responder);
  core::http1::Response api(const std::string& action, const std::string& body);
  std::string new_operation(const std::string& type, const std::string& target_key,
                            const std::string& target);

  boost::asio::io_context& io_;
  std::unique_ptr<core::http1::MessageServer> server_;
  std::uint16_t port_ = 0;
  std::map<std::string, std::string> snapshots_;  // namespace -> JSON
  std::vector<Parked> parked_;
  std::vector<Recorded> requests_;
  std::map<std::string, std::deque<std::pair<std::uint16_t, std::string>>> failures_;
  std::map<std::string, std::pair<std::string, int>> operations_;  // id -> (json, polls left)
  std::map<std::string, std::string> tokens_;                      // token -> reply
  int pending_polls_ = 0;
  std::size_t page_size_ = 100;
  std::uint64_t next_id_ = 1;
  std::shared_ptr<const core::SigV4Verifier> verifier_;
};

// Credentials with no keys, for clients of a registry that does not verify.
CredentialsSource no_credentials();

}  // namespace ferry::discovery::test
