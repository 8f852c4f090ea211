#include "control/sqlite_registry_file.h"

#include <stdexcept>

#include <sqlite3.h>
#include <string_view>

#include "control/ids.h"

namespace ferry::control {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE namespaces(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  revision INTEGER NOT NULL, checksum INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE services(
  id TEXT PRIMARY KEY, namespace_id TEXT NOT NULL REFERENCES namespaces(id), name TEXT NOT NULL,
  revision INTEGER NOT NULL, checksum INTEGER NOT NULL, body TEXT NOT NULL,
  UNIQUE(namespace_id, name)) WITHOUT ROWID;
CREATE TABLE instances(
  service_id TEXT NOT NULL REFERENCES services(id), instance_id TEXT NOT NULL,
  revision INTEGER NOT NULL, checksum INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY(service_id, instance_id)) WITHOUT ROWID;
CREATE TABLE operations(
  id TEXT PRIMARY KEY, revision INTEGER NOT NULL, checksum INTEGER NOT NULL,
  body TEXT NOT NULL,
  token TEXT, token_revision INTEGER, token_checksum INTEGER, token_body TEXT) WITHOUT ROWID;
CREATE TABLE idempotency(
  token TEXT PRIMARY KEY, revision INTEGER NOT NULL, checksum INTEGER NOT NULL,
  body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE markers(
  key TEXT PRIMARY KEY, revision INTEGER NOT NULL, checksum INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// FNV-1a over key, revision and body: cheap, and enough to notice a flipped
// bit (this is damage detection, not authentication).
std::int64_t checksum(std::string_view key, std::int64_t revision, std::string_view body) {
  std::uint64_t h = 14695981039346656037ULL;
  auto feed = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h = (h ^ c) * 1099511628211ULL;
    }
  };
  feed(key);
  feed(std::string_view("\0", 1));
  feed(std::to_string(revision));
  feed(std::string_view("\0", 1));
  feed(body);
  return static_cast<std::int64_t>(h);
}

std::string_view suffix(std::string_view key) {
  return key.substr(key.find('/') + 1);
}

}  // namespace

struct SqliteRegistryFile::Statements {
  SqliteStatement put_namespace, delete_namespace, put_service, delete_service, put_instance,
      delete_instance, put_operation, delete_operation, put_idempotency, delete_idempotency,
      put_marker, delete_marker, set_sequence, attach_token, detach_token;
  explicit Statements(sqlite3* db)
      : put_namespace(db,
                      "INSERT INTO namespaces(id,name,revision,checksum,body) VALUES(?,?,?,?,?) "
                      "ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
                      "revision=excluded.revision, checksum=excluded.checksum, body=excluded.body"),
        delete_namespace(db, "DELETE FROM namespaces WHERE id=?"),
        put_service(db,
                    "INSERT INTO services(id,namespace_id,name,revision,checksum,body) "
                    "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                    "namespace_id=excluded.namespace_id, name=excluded.name, "
                    "revision=excluded.revision, checksum=excluded.checksum, body=excluded.body"),
        delete_service(db, "DELETE FROM services WHERE id=?"),
        put_instance(db,
                     "INSERT INTO instances(service_id,instance_id,revision,checksum,body) "
                     "VALUES(?,?,?,?,?) ON CONFLICT(service_id,instance_id) DO UPDATE SET "
                     "revision=excluded.revision, checksum=excluded.checksum, body=excluded.body"),
        delete_instance(db, "DELETE FROM instances WHERE service_id=? AND instance_id=?"),
        put_operation(db,
                      "INSERT OR REPLACE INTO operations(id,revision,checksum,body) "
                      "VALUES(?,?,?,?)"),
        delete_operation(db, "DELETE FROM operations WHERE id=?"),
        put_idempotency(db,
                        "INSERT OR REPLACE INTO idempotency(token,revision,checksum,body) "
                        "VALUES(?,?,?,?)"),
        delete_idempotency(db, "DELETE FROM idempotency WHERE token=?"),
        put_marker(db, "INSERT OR REPLACE INTO markers(key,revision,checksum) VALUES(?,?,?)"),
        delete_marker(db, "DELETE FROM markers WHERE key=?"),
        set_sequence(db, "UPDATE meta SET value=? WHERE key='sequence'"),
        attach_token(db,
                     "UPDATE operations SET token=?, token_revision=?, token_checksum=?, "
                     "token_body=? WHERE id=?"),
        detach_token(db,
                     "UPDATE operations SET token=NULL, token_revision=NULL, token_checksum=NULL, "
                     "token_body=NULL WHERE id=?") {}
};

SqliteRegistryFile::SqliteRegistryFile(const Options& options) : db_(options.path) {
  try {
    // Exclusive locking before the first access in WAL mode: no shared memory
    // file, and a second ferry-control on this data dir fails here.
    db_.exec("PRAGMA locking_mode=EXCLUSIVE");
    if (db_.query_text("PRAGMA journal_mode=WAL") != "wal") {
      throw std::runtime_error("cannot switch to WAL journal mode");
    }
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("PRAGMA foreign_keys=ON");
    // The whole registry stays in SQLite's cache (64 MiB) and the file is
    // memory-mapped: the writer never re-reads pages through syscalls.
    db_.exec("PRAGMA cache_size=-65536");
    db_.exec("PRAGMA mmap_size=268435456");
    if (options.max_page_count > 0) {
      db_.exec("PRAGMA max_page_count=" + std::to_string(options.max_page_count));
    }
    check_integrity(options.full_integrity_check);
    migrate();
    prepare();
  } catch (const SqliteError& e) {
    throw std::runtime_error(options.path + ": " + e.what());
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    if (what.rfind(options.path, 0) == 0) {
      throw;
    }
    throw std::runtime_error(options.path + ": " + what);
  }
}

SqliteRegistryFile::~SqliteRegistryFile() = default;

void SqliteRegistryFile::check_integrity(bool full) {
  SqliteStatement check(db_.handle(), full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
  std::string problems;
  while (check.step()) {
    const std::string_view line = check.column_text(0);
    if (line == "ok") {
      continue;
    }
    if (problems.size() < 512) {
      problems.append(problems.empty() ? "" : "; ").append(line);
    }
  }
  if (!problems.empty()) {
    throw std::runtime_error("the database is damaged (" + problems +
                             "); restore it from a backup or move it aside");
  }
}

void SqliteRegistryFile::migrate() {
  const std::int64_t version = db_.query_int("PRAGMA user_version");
  if (version > kSchemaVersion) {
    throw std::runtime_error("schema version " + std::to_string(version) +
                             " is newer than this ferry-control understands (" +
                             std::to_string(kSchemaVersion) + ")");
  }
  if (version == 0) {
    if (db_.query_int("SELECT count(*) FROM sqlite_master") != 0) {
      throw std::runtime_error("not a ferry-control registry (unknown tables, no schema version)");
    }
    db_.exec("BEGIN IMMEDIATE");
    db_.exec(kSchemaV1);
    SqliteStatement meta(db_.handle(), "INSERT INTO meta(key,value) VALUES(?,?)");
    meta.bind(1, "epoch").bind(2, new_epoch()).run();
    meta.bind(1, "sequence").bind(2, "0").run();
    db_.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    db_.exec("COMMIT");
  }
  // Later schema versions add their step here: `if (version < 2) { ... }`,
  // each in its own transaction that also bumps user_version.
  epoch_ = db_.query_text("SELECT value FROM meta WHERE key='epoch'");
  const std::string sequence = db_.query_text("SELECT value FROM meta WHERE key='sequence'");
  if (epoch_.empty() || sequence.empty()) {
    throw std::runtime_error("the meta table lost its epoch or sequence");
  }
  sequence_ = std::stoll(sequence);
}

void SqliteRegistryFile::prepare() {
  statements_ = std::make_unique<Statements>(db_.handle());
}

std::vector<RecordChange> SqliteRegistryFile::load() {
  std::vector<RecordChange> out;
  struct Table {
    RecordKind kind;
    const char* sql;
  };
  const Table tables[] = {
      {RecordKind::Namespace, "SELECT 'ns/'||id, revision, checksum, body FROM namespaces"},
      {RecordKind::Service, "SELECT 'svc/'||id, revision, checksum, body FROM services"},
      {RecordKind::Instance,
       "SELECT 'inst/'||service_id||'/'||instance_id, revision, checksum, body FROM instances"},
      {RecordKind::Operation, "SELECT 'op/'||id, revision, checksum, body FROM operations"},
      {RecordKind::Idempotency, "SELECT 'idem/'||token, revision, checksum, body FROM idempotency"},
      // Tokens stored with their operation (see write()).
      {RecordKind::Idempotency,
       "SELECT 'idem/'||token, token_revision, token_checksum, token_body FROM operations "
       "WHERE token IS NOT NULL"},
      {RecordKind::NamespaceVersion, "SELECT key, revision, checksum, '' FROM markers"},
  };
  for (const Table& table : tables) {
    SqliteStatement select(db_.handle(), table.sql);
    while (select.step()) {
      const std::string key(select.column_text(0));
      const std::int64_t revision = select.column_int(1);
      const std::string_view body = select.column_text(3);
      if (checksum(key, revision, body) != select.column_int(2)) {
        throw std::runtime_error(db_.path() + ": record " + key +
                                 " fails its checksum (the file is damaged)");
      }
      const auto kind = kind_of_key(key);
      const bool is_marker =
          kind && (*kind == RecordKind::NamespaceVersion || *kind == RecordKind::ServiceRevision);
      if (!kind ||
          (table.kind == RecordKind::NamespaceVersion ? !is_marker : *kind != table.kind)) {
        throw std::runtime_error(db_.path() + ": unexpected record key " + key);
      }
      std::string error;
      auto value = decode_record(*kind, key, body, error);
      if (!value) {
        throw std::runtime_error(db_.path() + ": record " + key + ": " + error);
      }
      out.push_back({*kind, key, std::move(*value), revision});
    }
  }
  return out;
}

void SqliteRegistryFile::begin() {
  db_.exec("BEGIN IMMEDIATE");
}
void SqliteRegistryFile::savepoint() {
  db_.exec("SAVEPOINT request");
}
void SqliteRegistryFile::release_savepoint() {
  db_.exec("RELEASE request");
}
void SqliteRegistryFile::rollback_to_savepoint() {
  db_.exec("ROLLBACK TO request");
  db_.exec("RELEASE request");
}

void SqliteRegistryFile::commit(std::int64_t sequence) {
  statements_->set_sequence.bind(1, std::to_string(sequence)).run();
  db_.exec("COMMIT");
  sequence_ = sequence;
}

void SqliteRegistryFile::rollback() {
  if (db_.in_transaction()) {
    db_.exec("ROLLBACK");
  }
}

bool SqliteRegistryFile::write_token(const RecordChange& change, std::string_view operation_id,
                                     std::string_view body, std::int64_t sum) {
  Statements& s = *statements_;
  const std::string_view token = suffix(change.key);
  if (change.is_delete()) {
    s.detach_token.bind(1, operation_id).run();
    return false;  // also clear a row the idempotency table may hold
  }
  s.attach_token.bind(1, token).bind(2, change.revision).bind(3, sum).bind(4, body);
  s.attach_token.bind(5, operation_id).run();
  return sqlite3_changes(db_.handle()) > 0;
}

void SqliteRegistryFile::write(const RecordChange& change, std::string_view operation_id) {
  const std::string body = encode_record(change.value);
  const std::int64_t sum = checksum(change.key, change.revision, body);
  switch (change.kind) {
    case RecordKind::Namespace:
    case RecordKind::Service:
    case RecordKind::Instance:
      write_resource(change, body, sum);
      return;
    case RecordKind::Operation:
    case RecordKind::Idempotency:
      // A token that came with an operation lives in the operation's row,
      // which the same request just wrote: no page of its own to dirty.
      if (change.kind == RecordKind::Idempotency && !operation_id.empty() &&
          write_token(change, operation_id, body, sum)) {
        return;
      }
      write_log_record(change, body, sum);
      return;
    case RecordKind::NamespaceVersion:
    case RecordKind::ServiceRevision: {
      Statements& s = *statements_;
      (change.is_delete() ? s.delete_marker.bind(1, change.key)
                          : s.put_marker.bind(1, change.key).bind(2, change.revision).bind(3, sum))
          .run();
      return;
    }
    case RecordKind::Heartbeat:
      return;  // renewals are not durable with SQLite
  }
}

void SqliteRegistryFile::write_resource(const RecordChange& change, std::string_view body,
                                        std::int64_t sum) {
  Statements& s = *statements_;
  const std::string_view id = suffix(change.key);
  const bool del = change.is_delete();
  if (change.kind == RecordKind::Namespace) {
    if (del) {
      return s.delete_namespace.bind(1, id).run();
    }
    const auto& ns = std::get<std::shared_ptr<const Namespace>>(change.value);
    s.put_namespace.bind(1, id).bind(2, ns->name).bind(3, change.revision).bind(4, sum);
    return s.put_namespace.bind(5, body).run();
  }
  if (change.kind == RecordKind::Service) {
    if (del) {
      return s.delete_service.bind(1, id).run();
    }
    const auto& svc = std::get<std::shared_ptr<const Service>>(change.value);
    s.put_service.bind(1, id).bind(2, svc->namespace_id).bind(3, svc->name);
    return s.put_service.bind(4, change.revision).bind(5, sum).bind(6, body).run();
  }
  const std::size_t slash = id.find('/');
  const std::string_view service_id = id.substr(0, slash);
  const std::string_view instance_id = id.substr(slash + 1);
  if (del) {
    return s.delete_instance.bind(1, service_id).bind(2, instance_id).run();
  }
  s.put_instance.bind(1, service_id).bind(2, instance_id).bind(3, change.revision);
  s.put_instance.bind(4, sum).bind(5, body).run();
}

void SqliteRegistryFile::write_log_record(const RecordChange& change, std::string_view body,
                                          std::int64_t sum) {
  Statements& s = *statements_;
  const std::string_view id = suffix(change.key);
  const bool del = change.is_delete();
  if (change.kind == RecordKind::Operation) {
    (del ? s.delete_operation.bind(1, id)
         : s.put_operation.bind(1, id).bind(2, change.revision).bind(3, sum).bind(4, body))
        .run();
    return;
  }
  (del ? s.delete_idempotency.bind(1, id)
       : s.put_idempotency.bind(1, id).bind(2, change.revision).bind(3, sum).bind(4, body))
      .run();
}

}  // namespace ferry::control
