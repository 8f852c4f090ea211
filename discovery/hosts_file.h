#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::discovery {

struct HostsEntry {
  std::string address;  // "127.255.0.3"
  std::string name;     // "backend"
  friend bool operator==(const HostsEntry&, const HostsEntry&) = default;
};

// Keeps ferry's block of entries in a hosts file (service_connect.
// hosts_file), so applications resolve client aliases to their egress
// listeners' loopback addresses:
//
//   # BEGIN ferry (managed by ferry-proxy; edits inside are overwritten)
//   127.255.0.1 backend
//   # END ferry
//
// Every line outside the block stays exactly as it is. The block is
// replaced where it stands (appended at the end the first time); an empty
// entry list removes it. A BEGIN without END (a file cut short by someone
// else) loses the BEGIN line and the 127.255.x.y lines right after it.
//
// Main thread only; blocking file I/O.
class HostsFile {
 public:
  static constexpr std::string_view kBegin = "# BEGIN ferry";
  static constexpr std::string_view kEnd = "# END ferry";

  struct Stats {
    std::uint64_t writes = 0;
    std::uint64_t in_place_writes = 0;  // rename impossible (bind mount)
    std::uint64_t failures = 0;
  };

  explicit HostsFile(std::string path) : path_(std::move(path)) {}

  // Makes the block list `entries`. Reads the file (a missing file counts as
  // empty), and writes it only if its content changes: atomically (temporary
  // file + rename), or, where the file is a bind mount that cannot be renamed
  // over (Docker and ECS mount /etc/hosts so), by rewriting it in place. False
  // with `error` when the file cannot be read or written.
  bool update(const std::vector<HostsEntry>& entries, std::string& error);

  const std::string& path() const { return path_; }
  const Stats& stats() const { return stats_; }

  // The new content of a file that reads `current`. Pure.
  static std::string rewrite(std::string_view current, const std::vector<HostsEntry>& entries);

 private:
  const std::string path_;
  Stats stats_;
};

}  // namespace ferry::discovery
