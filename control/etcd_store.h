#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "control/etcd_client.h"
#include "control/registry.h"
#include "control/store.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::control {

class EtcdWatch;

// The replicated store: every record under one etcd prefix, written through
// the v3 JSON gateway by any number of ferry-control replicas.
//
// The read model is a cache fed by one watch on the prefix (after an initial
// paginated listing at a fixed revision); a watch cancelled by a compaction
// (or a reconnect that finds its revision compacted) lists again and applies
// the difference. A mutation is evaluated against the cache after a read
// barrier and committed as one transaction whose compares are the mutation's
// guards (compare-on-mod-revision, key absence, empty ranges); a failed
// compare means another replica won a race: wait for the cache to catch up
// and evaluate again. A write is acknowledged once etcd committed it and the
// local cache holds it (read-your-writes). Every transaction also puts
// "<prefix>meta/last", so a read barrier is one linearizable range of that key:
// once the cache has applied its mod revision it holds every write any
// replica acknowledged before. Loop thread only.
class EtcdStore : public Store {
 public:
  struct Options {
    std::vector<std::string> endpoints;  // "IP:PORT"
    std::string prefix = "/ferry/registry/";
    std::chrono::milliseconds request_timeout{5000};
    std::size_t connections = 8;
    std::size_t page_size = 500;
    int max_attempts = 10;  // evaluations of one mutation before 503
  };

  // Throws std::invalid_argument for a malformed endpoint.
  EtcdStore(boost::asio::io_context& loop, Options options, Registry& registry,
            CommitObserver observer);
  ~EtcdStore() override;

  // Reads (or creates) the epoch, lists the prefix and starts the watch,
  // retrying with backoff until etcd answers; ready() once done.
  void start();

  const std::string& epoch() const override { return epoch_; }
  void submit(std::shared_ptr<const Mutation> mutation, MutationCallback done) override;
  void sync(std::function<void(bool ok)> done) override;
  bool ready() const override { return ready_ && !stopping_; }
  void stop(std::function<void()> done) override;

  // The etcd revision up to which the cache holds every change (tests).
  std::int64_t applied_revision() const { return applied_; }
  // Watch restarts and re-listings so far (tests, logs).
  std::uint64_t relists() const { return relists_; }

 private:
  struct Waiter {
    std::chrono::steady_clock::time_point deadline;
    std::function<void(bool)> done;
  };
  struct Listing;

  void bootstrap();
  void ensure_epoch(std::function<void(bool)> next);
  void list(std::shared_ptr<Listing> listing, std::function<void(bool)> next);
  void start_watch();
  void on_watch_message(const boost::json::object& result);
  void on_watch_closed(const std::string& reason);
  void resume();
  void relist(const std::string& why);
  void apply_listing(const Listing& listing);
  bool decode(const boost::json::object& kv, bool deleted, std::int64_t revision,
              std::vector<RecordChange>& out);
  void advance(std::int64_t revision);
  void wait_applied(std::int64_t revision, std::function<void(bool)> done);
  void sweep_waiters();
  void run_barrier();
  void attempt(std::shared_ptr<const Mutation> mutation, MutationCallback done, int attempt);
  void on_committed(EtcdReply reply, std::shared_ptr<const Mutation> mutation,
                    MutationCallback done, MutationResult result, int attempt_no,
                    std::chrono::steady_clock::time_point start);
  boost::json::object transaction(const ChangeSet& changes) const;
  void retry_later(std::function<void()> what);

  boost::asio::io_context& loop_;
  Options options_;
  Registry& registry_;
  CommitObserver observer_;
  EtcdClient client_;
  std::shared_ptr<EtcdWatch> watch_;
  struct Timers;
  std::unique_ptr<Timers> timers_;  // retry and sweep (Asio stays out of this header)
  bool sweeping_ = false;
  std::string epoch_;
  std::int64_t applied_ = 0;
  bool ready_ = false;
  bool stopping_ = false;
  bool bootstrapping_ = false;
  std::uint64_t relists_ = 0;
  std::multimap<std::int64_t, Waiter> waiters_;
  bool barrier_in_flight_ = false;
  std::vector<std::function<void(bool)>> barrier_queue_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace ferry::control
