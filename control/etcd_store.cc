#include "control/etcd_store.h"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "control/etcd_watch.h"
#include "control/ids.h"
#include "proxy/core/log.h"

namespace ferry::control {
namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// etcd's defaults: --max-txn-ops 128, --max-request-bytes 1.5 MiB.
constexpr std::size_t kMaxTxnOps = 128;
constexpr std::size_t kMaxRequestBytes = 1536 * 1024;

json::object delete_op(const std::string& key) {
  return {{"request_delete_range", json::object{{"key", base64_encode(key)}}}};
}

}  // namespace

struct EtcdStore::Timers {
  explicit Timers(asio::io_context& io) : retry(io), sweep(io) {}
  asio::steady_timer retry;
  asio::steady_timer sweep;
};

EtcdStore::EtcdStore(asio::io_context& loop, Options options, Registry& registry,
                     CommitObserver observer)
    : loop_(loop),
      options_(std::move(options)),
      registry_(registry),
      observer_(std::move(observer)),
      client_(loop, EtcdClient::Options{options_.endpoints, options_.connections,
                                        options_.request_timeout}),
      timers_(std::make_unique<Timers>(loop)) {}

EtcdStore::~EtcdStore() {
  if (watch_) {
    watch_->cancel();
  }
}

void EtcdStore::start() {
  bootstrap();
}

void EtcdStore::retry_later(std::function<void()> what) {
  timers_->retry.expires_after(std::chrono::seconds(1));
  timers_->retry.async_wait(
      [alive = std::weak_ptr<int>(alive_), what = std::move(what)](boost::system::error_code ec) {
        if (!ec && !alive.expired()) {
          what();
        }
      });
}

void EtcdStore::advance(std::int64_t revision) {
  if (revision <= applied_) {
    return;
  }
  applied_ = revision;
  while (!waiters_.empty() && waiters_.begin()->first <= applied_) {
    auto done = std::move(waiters_.begin()->second.done);
    waiters_.erase(waiters_.begin());
    done(true);
  }
}

void EtcdStore::wait_applied(std::int64_t revision, std::function<void(bool)> done) {
  if (revision <= applied_) {
    return done(true);
  }
  waiters_.emplace(revision, Waiter{Clock::now() + options_.request_timeout, std::move(done)});
  if (!sweeping_) {
    sweeping_ = true;
    sweep_waiters();
  }
}

// Fails waiters whose deadline passed (the watch is stuck or etcd is gone);
// runs every 100 ms while anyone waits.
void EtcdStore::sweep_waiters() {
  timers_->sweep.expires_after(std::chrono::milliseconds(100));
  timers_->sweep.async_wait(
      [this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
        if (ec || alive.expired()) {
          return;
        }
        const auto now = Clock::now();
        for (auto it = waiters_.begin(); it != waiters_.end();) {
          if (it->second.deadline <= now || stopping_) {
            auto done = std::move(it->second.done);
            it = waiters_.erase(it);
            done(false);
          } else {
            ++it;
          }
        }
        if (waiters_.empty()) {
          sweeping_ = false;
          return;
        }
        sweep_waiters();
      });
}

void EtcdStore::sync(std::function<void(bool ok)> done) {
  if (!ready()) {
    return done(false);
  }
  barrier_queue_.push_back(std::move(done));
  if (!barrier_in_flight_) {
    run_barrier();
  }
}

void EtcdStore::run_barrier() {
  barrier_in_flight_ = true;
  auto batch = std::make_shared<std::vector<std::function<void(bool)>>>(std::move(barrier_queue_));
  barrier_queue_.clear();
  const json::object range{{"key", base64_encode(options_.prefix + "meta/last")}};
  client_.call("kv/range", range,
               [this, batch, alive = std::weak_ptr<int>(alive_)](EtcdReply reply) {
                 if (alive.expired()) {
                   return;
                 }
                 barrier_in_flight_ = false;
                 if (!barrier_queue_.empty()) {
                   run_barrier();  // callers that came after this read need a later one
                 }
                 if (!reply.ok()) {
                   for (auto& done : *batch) {
                     done(false);
                   }
                   return;
                 }
                 std::int64_t target = 0;
                 if (const json::value* kvs = reply.body.if_contains("kvs");
                     kvs != nullptr && kvs->is_array() && !kvs->get_array().empty() &&
                     kvs->get_array()[0].is_object()) {
                   target = json_int64(kvs->get_array()[0].get_object(), "mod_revision");
                 }
                 for (auto& done : *batch) {
                   wait_applied(target, std::move(done));
                 }
               });
}

json::object EtcdStore::transaction(const ChangeSet& changes) const {
  json::array compare;
  for (const Guard& g : changes.guards) {
    json::object c{{"key", base64_encode(options_.prefix + g.key)}, {"result", "EQUAL"}};
    if (g.type == Guard::Type::Revision) {
      c["target"] = "MOD";
      c["mod_revision"] = std::to_string(g.revision);
    } else {
      c["target"] = "CREATE";
      c["create_revision"] = "0";
      if (g.type == Guard::Type::RangeEmpty) {
        c["range_end"] = base64_encode(prefix_end(options_.prefix + g.key));
      }
    }
    compare.push_back(std::move(c));
  }
  json::array success;
  for (const RecordChange& change : changes.changes) {
    const std::string key = options_.prefix + change.key;
    success.push_back(change.is_delete() ? delete_op(key)
                                         : etcd_put_op(key, encode_record(change.value)));
  }
  for (const IndexChange& index : changes.indexes) {
    const std::string key = options_.prefix + index.key;
    success.push_back(index.put ? etcd_put_op(key, "1") : delete_op(key));
  }
  success.push_back(etcd_put_op(options_.prefix + "meta/last", ""));
  return {{"compare", std::move(compare)}, {"success", std::move(success)}};
}

void EtcdStore::submit(std::shared_ptr<const Mutation> mutation, MutationCallback done) {
  if (stopping_) {
    return done({store_unavailable("The registry is shutting down."), {}});
  }
  attempt(std::move(mutation), std::move(done), 1);
}

void EtcdStore::attempt(std::shared_ptr<const Mutation> mutation, MutationCallback done,
                        int attempt_no) {
  sync([this, mutation, done = std::move(done), attempt_no](bool synced) mutable {
    if (!synced) {
      return done({store_unavailable("etcd is unreachable or the cache is behind; retry."), {}});
    }
    ChangeSet changes;
    MutationResult result = mutation->evaluate(registry_.state(), changes);
    if (result.error || changes.empty()) {
      return done(std::move(result));
    }
    json::object txn = transaction(changes);
    if (txn["success"].as_array().size() > kMaxTxnOps ||
        txn["compare"].as_array().size() > kMaxTxnOps ||
        json::serialize(txn).size() > kMaxRequestBytes) {
      return done(
          {api_error("InvalidInput", "The change is larger than one etcd transaction allows"), {}});
    }
    const auto start = Clock::now();
    client_.call("kv/txn", txn,
                 [this, mutation, done = std::move(done), result = std::move(result), attempt_no,
                  start, alive = std::weak_ptr<int>(alive_)](EtcdReply reply) mutable {
                   if (!alive.expired()) {
                     on_committed(std::move(reply), std::move(mutation), std::move(done),
                                  std::move(result), attempt_no, start);
                   }
                 });
  });
}

void EtcdStore::on_committed(EtcdReply reply, std::shared_ptr<const Mutation> mutation,
                             MutationCallback done, MutationResult result, int attempt_no,
                             std::chrono::steady_clock::time_point start) {
  if (reply.ok() && !reply.body.contains("header")) {
    reply.status = 0;
    reply.error = "no header in the transaction response";
  }
  if (!reply.ok()) {
    return done({store_unavailable("etcd did not confirm the write (" +
                                   (reply.ec ? reply.ec.message() : reply.error) +
                                   "); its outcome is unknown, retry with the same token."),
                 {}});
  }
  const std::int64_t revision = json_int64(reply.body.at("header").as_object(), "revision");
  if (reply.body.contains("succeeded")) {  // proto3 JSON omits false
    if (observer_) {
      observer_(Clock::now() - start, 1);
    }
    // Acknowledge once this replica can read its own write.
    return wait_applied(revision, [done = std::move(done), result = std::move(result)](
                                      bool) mutable { done(std::move(result)); });
  }
  // A guard failed: another replica changed what the mutation read. Catch
  // up to the revision that refused it and evaluate again.
  if (attempt_no >= options_.max_attempts) {
    return done({store_unavailable("Too many concurrent changes to the same records; retry."), {}});
  }
  wait_applied(revision, [this, mutation, done = std::move(done), attempt_no](bool) mutable {
    attempt(mutation, std::move(done), attempt_no + 1);
  });
}

void EtcdStore::stop(std::function<void()> done) {
  stopping_ = true;
  ready_ = false;
  if (watch_) {
    watch_->cancel();
    watch_.reset();
  }
  timers_->retry.cancel();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [revision, waiter] : waiters) {
    waiter.done(false);
  }
  client_.close();
  if (done) {
    asio::post(loop_, std::move(done));
  }
}

}  // namespace ferry::control
