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

json::object put_op(const std::string& key, std::string_view value) {
  return {
      {"request_put", json::object{{"key", base64_encode(key)}, {"value", base64_encode(value)}}}};
}

json::object delete_op(const std::string& key) {
  return {{"request_delete_range", json::object{{"key", base64_encode(key)}}}};
}

}  // namespace

struct EtcdStore::Timers {
  explicit Timers(asio::io_context& io) : retry(io), sweep(io) {}
  asio::steady_timer retry;
  asio::steady_timer sweep;
};

// A paginated listing at one revision.
struct EtcdStore::Listing {
  std::int64_t revision = 0;  // fixed by the first page
  std::string next_key;
  std::vector<RecordChange> records;
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

void EtcdStore::bootstrap() {
  if (stopping_ || bootstrapping_) {
    return;
  }
  bootstrapping_ = true;
  ready_ = false;
  ensure_epoch([this](bool ok) {
    if (!ok) {
      bootstrapping_ = false;
      return retry_later([this] { bootstrap(); });
    }
    auto listing = std::make_shared<Listing>();
    list(listing, [this, listing](bool listed) {
      if (!listed) {
        bootstrapping_ = false;
        return retry_later([this] { bootstrap(); });
      }
      apply_listing(*listing);
      start_watch();
    });
  });
}

void EtcdStore::ensure_epoch(std::function<void(bool)> next) {
  const std::string key = options_.prefix + "meta/epoch";
  const std::string fresh = new_epoch();
  json::object txn{
      {"compare", json::array{json::object{{"key", base64_encode(key)},
                                           {"target", "CREATE"},
                                           {"result", "EQUAL"},
                                           {"create_revision", "0"}}}},
      {"success", json::array{put_op(key, fresh)}},
      {"failure",
       json::array{json::object{{"request_range", json::object{{"key", base64_encode(key)}}}}}}};
  client_.call(
      "kv/txn", txn,
      [this, fresh, next = std::move(next), alive = std::weak_ptr<int>(alive_)](EtcdReply reply) {
        if (alive.expired()) {
          return;
        }
        if (!reply.ok()) {
          spdlog::warn("etcd {}: cannot read the epoch: {}", client_.endpoint().to_string(),
                       reply.ec ? reply.ec.message() : reply.error);
          return next(false);
        }
        std::string epoch = fresh;
        if (!reply.body.contains("succeeded")) {  // proto3 JSON omits false
          try {
            const auto& kv = reply.body.at("responses").at(0).at("response_range").at("kvs").at(0);
            epoch = base64_decode(kv.at("value").as_string()).value_or("");
          } catch (const std::exception&) {
            epoch.clear();
          }
        }
        if (epoch.empty()) {
          spdlog::error("etcd: the epoch key under {} is unreadable", options_.prefix);
          return next(false);
        }
        if (!epoch_.empty() && epoch != epoch_) {
          spdlog::warn("etcd: the registry under {} is a new store (epoch {} -> {})",
                       options_.prefix, epoch_, epoch);
        }
        epoch_ = epoch;
        registry_.set_epoch(epoch_);
        next(true);
      });
}

void EtcdStore::list(std::shared_ptr<Listing> listing, std::function<void(bool)> next) {
  json::object range{
      {"key", base64_encode(listing->next_key.empty() ? options_.prefix : listing->next_key)},
      {"range_end", base64_encode(prefix_end(options_.prefix))},
      {"limit", std::to_string(options_.page_size)}};
  if (listing->revision > 0) {
    range["revision"] = std::to_string(listing->revision);
  }
  client_.call(
      "kv/range", range,
      [this, listing, next = std::move(next), alive = std::weak_ptr<int>(alive_)](EtcdReply reply) {
        if (alive.expired()) {
          return;
        }
        if (!reply.ok()) {
          spdlog::warn("etcd: listing {} failed: {}", options_.prefix,
                       reply.ec ? reply.ec.message() : reply.error);
          return next(false);
        }
        if (listing->revision == 0) {
          listing->revision = json_int64(reply.body.at("header").as_object(), "revision");
        }
        std::string last;
        if (const json::value* kvs = reply.body.if_contains("kvs")) {
          for (const json::value& kv : kvs->as_array()) {
            decode(kv.as_object(), false, 0, listing->records);
            last = base64_decode(kv.at("key").as_string()).value_or("");
          }
        }
        const json::value* more = reply.body.if_contains("more");
        if (more != nullptr && more->is_bool() && more->get_bool() && !last.empty()) {
          listing->next_key = last + std::string(1, '\0');
          return list(listing, next);
        }
        next(true);
      });
}

bool EtcdStore::decode(const json::object& kv, bool deleted, std::int64_t revision,
                       std::vector<RecordChange>& out) {
  const auto key = base64_decode(kv.at("key").as_string());
  if (!key || key->compare(0, options_.prefix.size(), options_.prefix) != 0) {
    return false;
  }
  std::string logical = key->substr(options_.prefix.size());
  const auto kind = kind_of_key(logical);
  if (!kind) {
    return false;  // meta/, nsname/, svcname/: bookkeeping, not records
  }
  const std::int64_t mod = revision != 0 ? revision : json_int64(kv, "mod_revision");
  if (deleted) {
    out.push_back({*kind, std::move(logical), std::monostate{}, mod});
    return true;
  }
  const json::value* value = kv.if_contains("value");
  const auto body =
      value == nullptr ? std::optional<std::string>("") : base64_decode(value->as_string());
  std::string error;
  auto record = body ? decode_record(*kind, logical, *body, error) : std::nullopt;
  if (!record) {
    // Never serve it: log and leave the key out of the cache.
    FERRY_LOG_LIMITED(spdlog::level::err, "etcd: ignoring damaged record {}: {}", logical,
                      body ? error : "bad base64");
    return false;
  }
  out.push_back({*kind, std::move(logical), std::move(*record), mod});
  return true;
}

void EtcdStore::apply_listing(const Listing& listing) {
  // The difference between the cache and the listing, as changes.
  std::map<std::string, std::int64_t> cached;
  for (const RecordChange& c : registry_.state().dump()) {
    cached.emplace(c.key, c.revision);
  }
  std::vector<RecordChange> changes;
  for (const RecordChange& record : listing.records) {
    auto it = cached.find(record.key);
    if (it == cached.end() || it->second != record.revision) {
      changes.push_back(record);
    }
    if (it != cached.end()) {
      cached.erase(it);
    }
  }
  for (const auto& [key, revision] : cached) {
    changes.push_back({*kind_of_key(key), key, std::monostate{}, listing.revision});
  }
  if (!changes.empty()) {
    registry_.apply(changes);
  }
  advance(listing.revision);
}

void EtcdStore::start_watch() {
  if (stopping_) {
    return;
  }
  json::object create{{"key", base64_encode(options_.prefix)},
                      {"range_end", base64_encode(prefix_end(options_.prefix))},
                      {"start_revision", std::to_string(applied_ + 1)},
                      {"progress_notify", true}};
  if (watch_) {
    watch_->cancel();
  }
  watch_ = EtcdWatch::start(
      loop_, client_.endpoint(), create, options_.request_timeout,
      [this](const json::object& result) { on_watch_message(result); },
      [this](const std::string& reason) { on_watch_closed(reason); });
}

void EtcdStore::on_watch_message(const json::object& result) {
  const std::int64_t compacted = json_int64(result, "compact_revision");
  const json::value* canceled = result.if_contains("canceled");
  if (compacted > 0 || (canceled != nullptr && canceled->is_bool() && canceled->get_bool())) {
    return relist("watch cancelled (compacted at revision " + std::to_string(compacted) + ")");
  }
  const std::int64_t revision = json_int64(result.at("header").as_object(), "revision");
  std::vector<RecordChange> changes;
  bool epoch_changed = false;
  if (const json::value* events = result.if_contains("events")) {
    for (const json::value& e : events->as_array()) {
      const json::object& event = e.as_object();
      const json::value* type = event.if_contains("type");
      const bool deleted = type != nullptr && type->is_string() && type->get_string() == "DELETE";
      const json::object& kv = event.at("kv").as_object();
      const auto key = base64_decode(kv.at("key").as_string()).value_or("");
      if (key == options_.prefix + "meta/epoch") {
        epoch_changed = true;
      }
      decode(kv, deleted, deleted ? std::max(json_int64(kv, "mod_revision"), revision) : 0,
             changes);
    }
  }
  if (!changes.empty()) {
    registry_.apply(changes);
  }
  if (epoch_changed) {
    return relist("the epoch key changed (the store was wiped or replaced)");
  }
  if (bootstrapping_) {
    bootstrapping_ = false;
    ready_ = true;
    spdlog::info("etcd: registry under {} ready at revision {} (epoch {})", options_.prefix,
                 std::max(applied_, revision), epoch_);
  }
  advance(revision);
}

void EtcdStore::on_watch_closed(const std::string& reason) {
  if (stopping_) {
    return;
  }
  spdlog::warn("etcd: watch on {} closed: {}; reconnecting", client_.endpoint().to_string(),
               reason);
  watch_.reset();
  ready_ = false;
  ++relists_;
  // A fresh bootstrap: the epoch may have changed, and a listing repairs any
  // gap the reconnect left (the watch resumes after the listing's revision).
  bootstrapping_ = false;
  retry_later([this] { bootstrap(); });
}

void EtcdStore::relist(const std::string& why) {
  spdlog::info("etcd: {}; listing {} again", why, options_.prefix);
  ++relists_;
  if (watch_) {
    watch_->cancel();
    watch_.reset();
  }
  bootstrapping_ = false;
  bootstrap();
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
                 if (const json::value* kvs = reply.body.if_contains("kvs")) {
                   target = json_int64(kvs->as_array().at(0).as_object(), "mod_revision");
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
                                         : put_op(key, encode_record(change.value)));
  }
  for (const IndexChange& index : changes.indexes) {
    const std::string key = options_.prefix + index.key;
    success.push_back(index.put ? put_op(key, "1") : delete_op(key));
  }
  success.push_back(put_op(options_.prefix + "meta/last", ""));
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
    const std::size_t ops = txn["success"].as_array().size();
    const std::size_t bytes = json::serialize(txn).size();
    if (ops > kMaxTxnOps || txn["compare"].as_array().size() > kMaxTxnOps ||
        bytes > kMaxRequestBytes) {
      return done(
          {api_error("InvalidInput", "The change is larger than one etcd transaction allows"), {}});
    }
    const auto start = Clock::now();
    client_.call(
        "kv/txn", txn,
        [this, mutation, done = std::move(done), result = std::move(result), attempt_no, start,
         alive = std::weak_ptr<int>(alive_)](EtcdReply reply) mutable {
          if (alive.expired()) {
            return;
          }
          if (!reply.ok()) {
            return done({store_unavailable("etcd did not confirm the write (" +
                                           (reply.ec ? reply.ec.message() : reply.error) +
                                           "); its outcome is unknown, retry with the same token."),
                         {}});
          }
          const std::int64_t revision = json_int64(reply.body.at("header").as_object(), "revision");
          if (reply.body.contains("succeeded")) {
            if (observer_) {
              observer_(Clock::now() - start, 1);
            }
            // Acknowledge once this replica can read its own write.
            return wait_applied(revision, [done = std::move(done), result = std::move(result)](
                                              bool) mutable { done(std::move(result)); });
          }
          if (attempt_no >= options_.max_attempts) {
            return done({store_unavailable("Too many concurrent changes to the same "
                                           "records; retry."),
                         {}});
          }
          wait_applied(revision,
                       [this, mutation, done = std::move(done), attempt_no](bool) mutable {
                         attempt(mutation, std::move(done), attempt_no + 1);
                       });
        });
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
