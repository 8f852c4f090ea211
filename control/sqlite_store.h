#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/registry_state.h"
#include "control/sqlite_registry_file.h"
#include "control/store.h"

namespace ferry::control {

// The single-process store: one SQLite file in the data dir and one writer
// thread that group-commits.
//
// submit() (loop thread) queues the mutation. The writer takes everything
// queued (up to `max_batch`), opens BEGIN IMMEDIATE, and for each request
// opens a SAVEPOINT, evaluates the mutation against its own copy of the
// registry (the write model, which already holds the batch's earlier
// requests), writes its rows and releases the savepoint -- or rolls back to it,
// so one bad request cannot undo the others. Then one COMMIT (WAL,
// synchronous=FULL: returns after fsync) makes the whole batch durable, and
// only then is the batch posted to the loop: its changes are applied to the
// read model and every request of the batch is answered. A failed COMMIT
// (disk full) undoes the batch in the write model and answers every write of
// it with 503.
class SqliteStore : public Store {
 public:
  struct Options {
    std::string data_dir;
    std::size_t max_batch = 512;
    std::size_t max_queue = 16384;  // queued writes beyond this get 503 at once
    bool full_integrity_check = false;
    std::int64_t max_page_count = 0;  // 0: unlimited (tests fill the file with it)
  };

  // Opens the file (creating the data dir and file if needed), checks and
  // migrates it, and loads every record; throws std::runtime_error naming the
  // file. Main thread, before the loop runs.
  SqliteStore(Options options, LoopPost post, CommitSink sink, CommitObserver observer);
  ~SqliteStore() override;

  // The records loaded at open, for the read model (call once, before start).
  std::vector<RecordChange> take_loaded();
  // Starts the writer thread.
  void start();

  const std::string& epoch() const override { return epoch_; }
  void submit(std::shared_ptr<const Mutation> mutation, MutationCallback done) override;
  void sync(std::function<void(bool)> done) override { done(true); }
  bool ready() const override { return true; }
  void stop(std::function<void()> done) override;

 private:
  struct Request {
    std::shared_ptr<const Mutation> mutation;
    MutationCallback done;
    MutationResult result;
    std::size_t first_change = 0;  // into the batch's change list
    std::size_t change_count = 0;
  };

  void run();
  void commit_batch(std::vector<Request>& batch);
  // Runs one request inside the open transaction; returns false when SQLite
  // rolled the whole transaction back.
  bool run_request(Request& request, std::vector<RecordChange>& changes,
                   std::vector<RecordChange>& undo);
  void undo(std::vector<RecordChange>& undo_log);
  // The operation an idempotency change belongs to ("" for none).
  std::string operation_of(const RecordChange& change) const;

  Options options_;
  LoopPost post_;
  CommitSink sink_;
  CommitObserver observer_;
  std::unique_ptr<SqliteRegistryFile> file_;
  std::string epoch_;
  std::vector<RecordChange> loaded_;

  // Writer thread only.
  RegistryState write_model_;
  std::int64_t sequence_ = 0;
  std::map<std::string, RecordChange> markers_;  // the batch's last value of each marker

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::function<void()> on_stopped_;
  std::thread writer_;
};

}  // namespace ferry::control
