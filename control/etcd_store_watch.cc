// The read side of EtcdStore (etcd_store.h): bootstrap (epoch, listing),
// the watch that feeds the cache, resuming it, and re-listing after a
// compaction.
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "control/etcd_store.h"
#include "control/etcd_watch.h"
#include "control/ids.h"
#include "proxy/core/log.h"

namespace ferry::control {
namespace json = boost::json;

// A paginated listing at one revision.
struct EtcdStore::Listing {
  std::int64_t revision = 0;  // fixed by the first page
  std::string next_key;
  std::vector<RecordChange> records;
};

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
      {"success", json::array{etcd_put_op(key, fresh)}},
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
        std::string last;
        try {
          if (listing->revision == 0) {
            listing->revision = json_int64(reply.body.at("header").as_object(), "revision");
          }
          if (const json::value* kvs = reply.body.if_contains("kvs")) {
            for (const json::value& kv : kvs->as_array()) {
              decode(kv.as_object(), false, 0, listing->records);
              last = base64_decode(kv.at("key").as_string()).value_or("");
            }
          }
        } catch (const std::exception& e) {
          spdlog::warn("etcd: unexpected listing response: {}", e.what());
          return next(false);
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
      [this](const json::object& result) {
        // A message etcd should never send (a missing member) must not take
        // the process down: drop the watch and list again.
        try {
          on_watch_message(result);
        } catch (const std::exception& e) {
          relist(std::string("unexpected watch message: ") + e.what());
        }
      },
      [this](const std::string& reason) { on_watch_closed(reason); });
}

void EtcdStore::on_watch_message(const json::object& result) {
  const std::int64_t compacted = json_int64(result, "compact_revision");
  if (spdlog::should_log(spdlog::level::trace)) {
    const json::value* events = result.if_contains("events");
    spdlog::trace("etcd watch message: revision={} events={} compact_revision={}",
                  json_int64(result.at("header").as_object(), "revision"),
                  events == nullptr ? 0 : events->as_array().size(), compacted);
  }
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
  spdlog::warn("etcd: watch on {} closed: {}; resuming from revision {}",
               client_.endpoint().to_string(), reason, applied_ + 1);
  watch_.reset();
  ready_ = false;
  retry_later([this] { resume(); });
}

// Reconnects the watch where it stopped. The epoch is read first: a wiped
// or replaced store means a full listing; a resume point that etcd has
// compacted away comes back as a cancelled watch, which lists again too.
void EtcdStore::resume() {
  if (stopping_ || bootstrapping_) {
    return;
  }
  const std::string before = epoch_;
  ensure_epoch([this, before](bool ok) {
    if (!ok) {
      return retry_later([this] { resume(); });
    }
    if (epoch_ != before) {
      return relist("the store's epoch changed");
    }
    bootstrapping_ = true;  // ready again once the watch is created
    start_watch();
  });
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

}  // namespace ferry::control
