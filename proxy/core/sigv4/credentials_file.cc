#include "proxy/core/sigv4/credentials_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "proxy/core/text.h"

namespace ferry::core {
namespace {

struct PendingProfile {
  std::string name;
  std::size_t line = 0;
  AwsCredentials credentials;
  bool has_id = false;
  bool has_secret = false;
};

std::string at(std::string_view source, std::size_t line, std::string_view what) {
  std::string out(source);
  out.append(":").append(std::to_string(line)).append(": ").append(what);
  return out;
}

}  // namespace

namespace {

// One "[name]" or "[profile name]" header; an error message or "".
std::string section(std::string_view line, std::vector<PendingProfile>& pending) {
  if (line.back() != ']') {
    return "malformed section header";
  }
  std::string_view name = trim_space(line.substr(1, line.size() - 2));
  if (name.substr(0, 8) == "profile ") {
    name = trim_space(name.substr(8));
  }
  if (name.empty()) {
    return "empty profile name";
  }
  for (const PendingProfile& p : pending) {
    if (p.name == name) {
      return "duplicate profile [" + std::string(name) + "]";
    }
  }
  pending.push_back({std::string(name), 0, {}, false, false});
  return {};
}

// One "key = value" line; an error message or "".
std::string setting(std::string_view line, std::vector<PendingProfile>& pending) {
  const std::size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    return "expected 'key = value'";
  }
  if (pending.empty()) {
    return "setting outside any [profile] section";
  }
  const std::string key = lower(trim_space(line.substr(0, eq)));
  const std::string_view value = trim_space(line.substr(eq + 1));
  PendingProfile& profile = pending.back();
  if (key == "aws_access_key_id") {
    profile.credentials.access_key_id = value;
    profile.has_id = !value.empty();
  } else if (key == "aws_secret_access_key") {
    profile.credentials.secret_access_key = value;
    profile.has_secret = !value.empty();
  } else if (key == "aws_session_token") {
    profile.credentials.session_token = value;
  }
  return {};
}

}  // namespace

std::optional<CredentialsFile> CredentialsFile::parse(std::string_view text,
                                                      std::string_view source, std::string& error) {
  std::vector<PendingProfile> pending;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = trim_space(text.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    const std::string problem =
        line.front() == '[' ? section(line, pending) : setting(line, pending);
    if (!problem.empty()) {
      error = at(source, line_no, problem);
      return std::nullopt;
    }
    if (line.front() == '[') {
      pending.back().line = line_no;
    }
  }
  CredentialsFile file;
  for (PendingProfile& p : pending) {
    if (!p.has_id && !p.has_secret) {
      continue;  // a profile with settings but no key (e.g. only a region)
    }
    if (p.has_id != p.has_secret) {
      error = at(source, p.line,
                 "profile [" + p.name + "] needs both aws_access_key_id and aws_secret_access_key");
      return std::nullopt;
    }
    const AwsCredentials* existing = file.find_access_key(p.credentials.access_key_id);
    if (existing != nullptr && existing->secret_access_key != p.credentials.secret_access_key) {
      error = at(source, p.line,
                 "profile [" + p.name + "] reuses an access key id with a different secret");
      return std::nullopt;
    }
    file.profiles_.push_back({std::move(p.name), std::move(p.credentials)});
  }
  if (file.profiles_.empty()) {
    error = std::string(source) + ": no profile with aws_access_key_id and aws_secret_access_key";
    return std::nullopt;
  }
  return file;
}

std::optional<CredentialsFile> CredentialsFile::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, error);
}

const AwsCredentials* CredentialsFile::find_profile(std::string_view name) const {
  for (const Profile& p : profiles_) {
    if (p.name == name) {
      return &p.credentials;
    }
  }
  return nullptr;
}

const AwsCredentials* CredentialsFile::find_access_key(std::string_view access_key_id) const {
  for (const Profile& p : profiles_) {
    if (p.credentials.access_key_id == access_key_id) {
      return &p.credentials;
    }
  }
  return nullptr;
}

}  // namespace ferry::core
