#include "discovery/hosts_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "discovery/atomic_file.h"

namespace ferry::discovery {
namespace {

constexpr std::size_t kMaxHostsFile = 16 * 1024 * 1024;

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

bool is_marker(std::string_view line, std::string_view marker) {
  const std::string_view t = trim(line);
  return t.substr(0, marker.size()) == marker &&
         (t.size() == marker.size() || t[marker.size()] == ' ');
}

bool write_in_place(const std::string& path, std::string_view content, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": open: " + std::strerror(errno);
    return false;
  }
  bool ok = true;
  while (ok && !content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      error = path + ": write: " + std::strerror(errno);
      ok = false;
      break;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  if (ok && ::fsync(fd) != 0) {
    error = path + ": fsync: " + std::strerror(errno);
    ok = false;
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::string HostsFile::rewrite(std::string_view current, const std::vector<HostsEntry>& entries) {
  std::string block;
  if (!entries.empty()) {
    block.append(kBegin).append(" (managed by ferry-proxy; edits inside are overwritten)\n");
    for (const HostsEntry& e : entries) {
      block.append(e.address).push_back(' ');
      block.append(e.name).push_back('\n');
    }
    block.append(kEnd).push_back('\n');
  }
  const std::vector<std::string_view> lines = split_lines(current);
  std::string out;
  out.reserve(current.size() + block.size());
  bool placed = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!is_marker(lines[i], kBegin)) {
      out.append(lines[i]).push_back('\n');
      continue;
    }
    std::size_t end = i + 1;
    while (end < lines.size() && !is_marker(lines[end], kEnd)) {
      ++end;
    }
    if (end == lines.size()) {
      // No END: drop only what is recognisably ours.
      end = i + 1;
      while (end < lines.size() && trim(lines[end]).starts_with("127.255.")) {
        ++end;
      }
      --end;
    }
    if (!placed) {
      out.append(block);
      placed = true;
    }
    i = end;
  }
  if (!placed && !block.empty()) {
    if (!out.empty() && out.back() != '\n') {
      out.push_back('\n');
    }
    out.append(block);
  }
  return out;
}

bool HostsFile::update(const std::vector<HostsEntry>& entries, std::string& error) {
  bool missing = false;
  auto current = read_whole_file(path_, kMaxHostsFile, missing, error);
  if (!current && !missing) {
    ++stats_.failures;
    return false;
  }
  if (missing && entries.empty()) {
    return true;  // nothing to keep in a file that does not exist
  }
  const std::string text = current.value_or(std::string());
  const std::string next = rewrite(text, entries);
  if (next == text && !missing) {
    return true;
  }
  int rename_errno = 0;
  if (write_file_atomically(path_, next, 0644, error, &rename_errno)) {
    ++stats_.writes;
    return true;
  }
  if (rename_errno == EBUSY || rename_errno == EXDEV) {
    if (write_in_place(path_, next, error)) {
      ++stats_.writes;
      ++stats_.in_place_writes;
      return true;
    }
  }
  ++stats_.failures;
  return false;
}

}  // namespace ferry::discovery
