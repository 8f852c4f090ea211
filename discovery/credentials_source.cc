#include "discovery/credentials_source.h"

#include <sys/stat.h>

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "proxy/core/sigv4/credentials_file.h"

namespace ferry::discovery {

std::optional<CredentialsSource> CredentialsSource::create(const std::optional<std::string>& file,
                                                           std::string& error,
                                                           const Getenv& getenv) {
  const auto env = [&](const char* name) -> std::string {
    const char* value = getenv ? getenv(name) : std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  CredentialsSource source;
  if (file) {
    source.path_ = *file;
    source.profile_ = env("AWS_PROFILE");
    if (source.profile_.empty()) {
      source.profile_ = "default";
    }
    if (!source.reload(error)) {
      return std::nullopt;
    }
    return source;
  }
  core::AwsCredentials key{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                           env("AWS_SESSION_TOKEN")};
  if (key.access_key_id.empty() != key.secret_access_key.empty()) {
    error = key.access_key_id.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                      : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not";
    return std::nullopt;
  }
  if (!key.access_key_id.empty()) {
    source.credentials_ = std::move(key);
  }
  return source;
}

std::optional<CredentialsSource::FileStamp> CredentialsSource::stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return FileStamp{st.st_ino, st.st_size, st.st_mtim};
}

bool CredentialsSource::reload(std::string& error) {
  const auto before = stamp(*path_);
  auto parsed = core::CredentialsFile::load(*path_, error);
  if (!parsed) {
    return false;
  }
  const core::AwsCredentials* key = parsed->find_profile(profile_);
  if (key == nullptr) {
    error = *path_ + ": no profile [" + profile_ + "] (the profile comes from AWS_PROFILE)";
    return false;
  }
  credentials_ = *key;
  stamp_ = before.value_or(FileStamp{});
  return true;
}

const core::AwsCredentials* CredentialsSource::current() {
  if (path_) {
    const auto now = stamp(*path_);
    if (now && !(*now == stamp_)) {
      std::string error;
      if (!reload(error)) {
        // Remember the broken version so it is reported once, not per request.
        stamp_ = *now;
        spdlog::warn("control-plane credentials: keeping the previous key: {}", error);
      } else {
        spdlog::info("control-plane credentials: re-read {}", description());
      }
    }
  }
  return credentials_ ? &*credentials_ : nullptr;
}

std::string CredentialsSource::description() const {
  if (path_) {
    return "file " + *path_ + ", profile " + profile_;
  }
  return credentials_ ? "environment" : "none";
}

}  // namespace ferry::discovery
