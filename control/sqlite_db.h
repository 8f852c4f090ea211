#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ferry::control {

// A failed SQLite call: the result code and SQLite's message. Thrown only by
// these wrappers; the store turns it into a 503 (a write) or a start-up
// failure (opening).
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  // SQLITE_FULL, SQLITE_IOERR...: the disk, not the request, is at fault.
  bool is_storage_failure() const;

 private:
  int code_;
};

// One prepared statement. Owned by the thread that uses its connection.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Binds by 1-based index; text is copied (SQLITE_TRANSIENT).
  SqliteStatement& bind(int index, std::string_view text);
  SqliteStatement& bind(int index, std::int64_t value);
  // Steps once: true while a row is available.
  bool step();
  // Runs to completion and resets (for statements without rows).
  void run();
  void reset();

  std::string_view column_text(int index) const;
  std::int64_t column_int(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// An open connection. Not thread-safe: one thread at a time (opened on the
// main thread at start, then owned by the writer thread).
class SqliteDb {
 public:
  // Opens (creating if absent) the database file; throws SqliteError.
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);
  // The first column of the first row of `sql`, as text ("" when no row).
  std::string query_text(std::string_view sql);
  std::int64_t query_int(std::string_view sql);
  // False when SQLite rolled the open transaction back by itself (it does
  // after some I/O errors).
  bool in_transaction() const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace ferry::control
