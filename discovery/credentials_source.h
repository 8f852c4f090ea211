#pragma once

#include <sys/types.h>

#include <ctime>
#include <functional>
#include <optional>
#include <string>

#include "proxy/core/sigv4/signer.h"

namespace ferry::discovery {

// Where the sidecar's control-plane key comes from (control_plane.
// credentials_file, else the AWS_* environment variables), kept current:
// a credentials file that is rewritten (a rotated key, a renewed session
// token) is re-read on the next request that follows the change.
//
// Created at start-up on the main thread; used there only.
class CredentialsSource {
 public:
  using Getenv = std::function<const char*(const char*)>;

  // With `file`: the profile named by AWS_PROFILE (default "default") of that
  // shared-credentials file; a missing file, a parse error or a missing
  // profile is an error. Without: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
  // (+ AWS_SESSION_TOKEN); only one of the two is an error; neither means
  // requests go unsigned (a loopback ferry-control without --credentials
  // accepts them, one with answers 403). On error returns nullopt and sets
  // `error` (it never names the secret).
  static std::optional<CredentialsSource> create(const std::optional<std::string>& file,
                                                 std::string& error, const Getenv& getenv = {});

  // The key to sign with now; null when requests go unsigned. With a file,
  // re-reads it when its size, inode or modification time changed; a new
  // version that does not parse keeps the previous key (logged once per
  // change).
  const core::AwsCredentials* current();

  // "file PATH, profile P" / "environment" / "none": for log lines.
  std::string description() const;

 private:
  struct FileStamp {
    ino_t inode = 0;
    off_t size = -1;
    timespec mtime{};
    friend bool operator==(const FileStamp& a, const FileStamp& b) {
      return a.inode == b.inode && a.size == b.size && a.mtime.tv_sec == b.mtime.tv_sec &&
             a.mtime.tv_nsec == b.mtime.tv_nsec;
    }
  };
  static std::optional<FileStamp> stamp(const std::string& path);
  bool reload(std::string& error);

  std::optional<std::string> path_;
  std::string profile_;
  std::optional<core::AwsCredentials> credentials_;
  FileStamp stamp_;
};

}  // namespace ferry::discovery
