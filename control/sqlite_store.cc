#include "control/sqlite_store.h"

#include <pthread.h>

#include <filesystem>
#include <system_error>

namespace ferry::control {

SqliteStore::SqliteStore(Options options, LoopPost post, CommitSink sink, CommitObserver observer)
    : options_(std::move(options)),
      post_(std::move(post)),
      sink_(std::move(sink)),
      observer_(std::move(observer)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options_.data_dir, ec);
  if (ec) {
    throw std::runtime_error(options_.data_dir + ": cannot create the data dir: " + ec.message());
  }
  fs::permissions(options_.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  const std::string path = (fs::path(options_.data_dir) / "registry.db").string();
  file_ = std::make_unique<SqliteRegistryFile>(
      SqliteRegistryFile::Options{path, options_.full_integrity_check, options_.max_page_count});
  epoch_ = file_->epoch();
  sequence_ = file_->sequence();
  loaded_ = file_->load();
  for (const RecordChange& change : loaded_) {
    write_model_.apply(change);
  }
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
}

std::vector<RecordChange> SqliteStore::take_loaded() {
  return std::move(loaded_);
}

void SqliteStore::start() {
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-writer");
    run();
  });
}

void SqliteStore::submit(std::shared_ptr<const Mutation> mutation, MutationCallback done) {
  std::unique_lock lock(mutex_);
  std::optional<ApiError> refusal;
  if (stopping_ || !writer_.joinable()) {
    refusal = store_unavailable("The registry is shutting down.");
  } else if (queue_.size() >= options_.max_queue) {
    refusal = store_unavailable("Too many writes are queued; retry later.");
  }
  if (refusal) {
    lock.unlock();
    post_([done = std::move(done), error = std::move(*refusal)]() mutable {
      done(MutationResult{std::move(error), {}});
    });
    return;
  }
  queue_.push_back({std::move(mutation), std::move(done), {}, 0, 0});
  lock.unlock();
  wake_.notify_one();
}

void SqliteStore::stop(std::function<void()> done) {
  bool running = false;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    running = writer_.joinable();
    if (running) {
      on_stopped_ = std::move(done);
    }
  }
  wake_.notify_all();
  if (!running && done) {
    post_(std::move(done));  // never started: nothing to finish
  }
}

void SqliteStore::run() {
  std::vector<Request> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        break;  // stopping, and everything accepted is committed
      }
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
  }
  std::function<void()> stopped;
  {
    std::lock_guard lock(mutex_);
    stopped = std::move(on_stopped_);
  }
  if (stopped) {
    post_(std::move(stopped));
  }
}

bool SqliteStore::run_request(Request& request, std::vector<RecordChange>& changes,
                              std::vector<RecordChange>& undo_log) {
  ChangeSet set;
  try {
    request.result = request.mutation->evaluate(write_model_, set);
  } catch (const std::exception& e) {
    request.result = {api_error("InternalFailure", e.what(), 500), {}};
  }
  if (request.result.error || set.changes.empty()) {
    return true;
  }
  const std::int64_t revision = ++sequence_;
  try {
    file_->savepoint();
    for (RecordChange& change : set.changes) {
      change.revision = revision;
      // Version markers move with almost every request of a batch: only
      // their last value is written, once, before the COMMIT.
      if (change.kind == RecordKind::Idempotency) {
        file_->write(change, operation_of(change));
      } else if (change.kind != RecordKind::NamespaceVersion &&
                 change.kind != RecordKind::ServiceRevision) {
        file_->write(change);
      }
    }
    file_->release_savepoint();
  } catch (const SqliteError& e) {
    --sequence_;
    request.result = {e.is_storage_failure() ? store_unavailable(e.what())
                                             : api_error("InternalFailure", e.what(), 500),
                      {}};
    if (!file_->in_transaction()) {
      return false;  // SQLite rolled the whole transaction back
    }
    try {
      file_->rollback_to_savepoint();
    } catch (const SqliteError&) {
      return false;
    }
    return true;
  }
  for (const RecordChange& change : set.changes) {
    undo_log.push_back(write_model_.apply(change));
    if (change.kind == RecordKind::NamespaceVersion || change.kind == RecordKind::ServiceRevision) {
      markers_[change.key] = change;
    }
  }
  request.first_change = changes.size();
  request.change_count = set.changes.size();
  for (RecordChange& change : set.changes) {
    changes.push_back(std::move(change));
  }
  return true;
}

std::string SqliteStore::operation_of(const RecordChange& change) const {
  if (!change.is_delete()) {
    return std::get<std::shared_ptr<const IdempotencyRecord>>(change.value)->operation_id;
  }
  const auto* existing =
      write_model_.find_idempotency(std::string_view(change.key).substr(change.key.find('/') + 1));
  return existing == nullptr ? std::string() : existing->value->operation_id;
}

void SqliteStore::undo(std::vector<RecordChange>& undo_log) {
  for (auto it = undo_log.rbegin(); it != undo_log.rend(); ++it) {
    write_model_.apply(*it);
  }
  undo_log.clear();
}

void SqliteStore::commit_batch(std::vector<Request>& batch) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t sequence_before = sequence_;
  std::vector<RecordChange> changes;
  std::vector<RecordChange> undo_log;
  std::string failure;
  markers_.clear();
  try {
    file_->begin();
    for (Request& request : batch) {
      if (!run_request(request, changes, undo_log)) {
        failure = "the transaction was rolled back by SQLite";
        break;
      }
    }
    if (failure.empty()) {
      for (const auto& [key, marker] : markers_) {
        file_->write(marker);
      }
      file_->commit(sequence_);
    }
  } catch (const SqliteError& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    try {
      file_->rollback();
    } catch (const SqliteError&) {
      // The connection is unusable; the next batch's BEGIN reports it.
    }
    undo(undo_log);
    sequence_ = sequence_before;
    changes.clear();
    // Nothing of this batch is durable, replays of its tokens included.
    for (Request& request : batch) {
      if (!request.result.error) {
        request.result = {store_unavailable("The registry could not commit: " + failure), {}};
      }
    }
  }
  const auto duration = std::chrono::steady_clock::now() - start;
  std::vector<std::pair<MutationCallback, MutationResult>> replies;
  replies.reserve(batch.size());
  for (Request& request : batch) {
    replies.emplace_back(std::move(request.done), std::move(request.result));
  }
  post_([sink = sink_, observer = observer_, changes = std::move(changes),
         replies = std::move(replies), duration, n = batch.size()]() mutable {
    if (!changes.empty()) {
      sink(std::move(changes));
    }
    if (observer) {
      observer(duration, n);
    }
    for (auto& [done, result] : replies) {
      done(std::move(result));
    }
  });
}

}  // namespace ferry::control
