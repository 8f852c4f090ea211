#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/records.h"
#include "control/sqlite_db.h"

namespace ferry::control {

// The registry's SQLite file: schema, migrations, integrity checks, loading
// and row writes. WAL journal, synchronous=FULL (a COMMIT returns only after
// the WAL is fsynced), exclusive locking (a second process on the same data
// dir fails to open it). Every row carries a checksum of its key, revision and
// body, verified on load, so a flipped bit in a record refuses the start
// instead of being served.
//
// Opened on the main thread, then used only by the SQLite writer thread.
class SqliteRegistryFile {
 public:
  static constexpr int kSchemaVersion = 1;

  struct Options {
    std::string path;
    bool full_integrity_check = false;  // integrity_check instead of quick_check
    std::int64_t max_page_count = 0;    // 0: SQLite's default (tests use it to fill the file)
  };

  // Opens (creating if needed) and migrates the file; throws
  // std::runtime_error naming the file when it is damaged, in use by another
  // process, newer than this build, or not a registry.
  explicit SqliteRegistryFile(const Options& options);
  ~SqliteRegistryFile();
  SqliteRegistryFile(const SqliteRegistryFile&) = delete;
  SqliteRegistryFile& operator=(const SqliteRegistryFile&) = delete;

  // Every record, verified; throws std::runtime_error naming the file on a
  // checksum mismatch or an undecodable row.
  std::vector<RecordChange> load();

  const std::string& epoch() const { return epoch_; }
  // The last committed revision (the commit sequence).
  std::int64_t sequence() const { return sequence_; }

  // Transaction control for the group commit. Throws SqliteError.
  void begin();
  void savepoint();
  void release_savepoint();
  void rollback_to_savepoint();
  void commit(std::int64_t sequence);
  void rollback();
  bool in_transaction() const { return db_.in_transaction(); }

  // Writes one change (its revision already assigned). An idempotency
  // record tied to an operation (`operation_id`, written earlier in the same
  // request) is stored in that operation's row. Throws SqliteError.
  void write(const RecordChange& change, std::string_view operation_id = {});

 private:
  struct Statements;

  // Namespaces, services, instances.
  void write_resource(const RecordChange& change, std::string_view body, std::int64_t sum);
  // Operations and idempotency records kept in their own tables.
  void write_log_record(const RecordChange& change, std::string_view body, std::int64_t sum);
  bool write_token(const RecordChange& change, std::string_view operation_id, std::string_view body,
                   std::int64_t sum);
  void check_integrity(bool full);
  void migrate();
  void prepare();

  SqliteDb db_;
  std::string epoch_;
  std::int64_t sequence_ = 0;
  std::unique_ptr<Statements> statements_;
};

}  // namespace ferry::control
