#include "discovery/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ferry::discovery {
namespace {

std::string describe(const std::string& path, std::string_view what, int err) {
  return path + ": " + std::string(what) + ": " + std::strerror(err);
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool fsync_directory(const std::string& dir, std::string& error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = describe(dir, "open directory", errno);
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    error = describe(dir, "fsync directory", err);
  }
  return ok;
}

}  // namespace

bool write_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                           std::string& error, int* rename_errno) {
  const std::filesystem::path target(path);
  const std::string dir =
      target.has_parent_path() ? target.parent_path().string() : std::string(".");
  std::error_code fs_error;
  std::filesystem::create_directories(dir, fs_error);
  if (fs_error) {
    error = path + ": create directory " + dir + ": " + fs_error.message();
    return false;
  }
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) {
    mode = existing.st_mode & 07777;
  }
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    error = describe(temp, "create", errno);
    return false;
  }
  // open() applies the umask; the final file gets exactly `mode` (when that
  // fails the umask's narrower mode is kept, which is still safe).
  if (::fchmod(fd, mode) != 0) {
    mode = 0;
  }
  bool ok = true;
  if (!write_all(fd, content)) {
    error = describe(temp, "write", errno);
    ok = false;
  } else if (::fsync(fd) != 0) {
    error = describe(temp, "fsync", errno);
    ok = false;
  }
  if (::close(fd) != 0 && ok) {
    error = describe(temp, "close", errno);
    ok = false;
  }
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    if (rename_errno != nullptr) {
      *rename_errno = errno;
    }
    error = describe(path, "rename " + temp + " over it", errno);
    ok = false;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    return false;
  }
  return fsync_directory(dir, error);
}

std::optional<std::string> read_whole_file(const std::string& path, std::size_t max_bytes,
                                           bool& missing, std::string& error) {
  missing = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      missing = true;
    } else {
      error = describe(path, "open", errno);
    }
    return std::nullopt;
  }
  std::string out;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      error = describe(path, "read", errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      error = path + ": larger than " + std::to_string(max_bytes) + " bytes";
      ::close(fd);
      return std::nullopt;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace ferry::discovery
