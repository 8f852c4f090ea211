#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/sigv4/signer.h"

namespace ferry::core {

// An AWS shared-credentials file (`~/.aws/credentials` format): INI sections,
// one per profile, each with `aws_access_key_id`, `aws_secret_access_key` and
// optionally `aws_session_token`. Other keys (region, output, ...) are
// ignored; `[profile NAME]` headers (config-file style) are read as NAME.
//
// Loaded at start-up (or on a config reload) on the main thread; immutable
// afterwards, so any thread may read it.
class CredentialsFile {
 public:
  struct Profile {
    std::string name;
    AwsCredentials credentials;
  };

  // Parses `text`; `source` names it in error messages. On failure returns
  // nullopt and sets `error` to "SOURCE:LINE: what is wrong" (a profile with
  // only half a key, a line outside any section, a duplicate profile, one
  // access key id with two different secrets, or no key at all).
  static std::optional<CredentialsFile> parse(std::string_view text, std::string_view source,
                                              std::string& error);

  // Reads and parses the file at `path` (error as above, or "PATH: cannot read").
  static std::optional<CredentialsFile> load(const std::string& path, std::string& error);

  const std::vector<Profile>& profiles() const { return profiles_; }
  const AwsCredentials* find_profile(std::string_view name) const;
  const AwsCredentials* find_access_key(std::string_view access_key_id) const;

 private:
  std::vector<Profile> profiles_;
};

}  // namespace ferry::core
