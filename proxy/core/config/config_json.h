#pragma once

#include <span>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "proxy/core/config/proxy_config.h"

namespace ferry::core {

// Key paths (normalize_path form: "listeners[].tls.private_key") whose
// values are secrets. GET /config and every log show them as "[redacted]".
// The schema holds no secret yet (control_plane.credentials_file is a path,
// not a secret); a section that adds one, such as TLS keys, adds its path
// here.
std::span<const std::string_view> secret_paths();

// The effective config as JSON: every key with its value after defaults,
// in the file's own key names and casing, durations as strings ("5s"),
// sizes as bytes, absent optional policies as null. Keys that do not apply
// are left out (HTTP-only keys of a tcp listener, endpoints of a cluster
// that uses discovery) so that the output, read back as YAML, loads to the
// same config. Secrets are not redacted here; callers that show the result
// use to_json() or redact_secrets(). Any thread; reads `config` only.
boost::json::value to_json_value(const ProxyConfig& config);

// Replaces the value at each path in `secrets` (when present and not null)
// with the string "[redacted]".
void redact_secrets(boost::json::value& root, std::span<const std::string_view> secrets);

// to_json_value() with secrets redacted, pretty-printed (2-space indents,
// integral numbers without exponent). This is GET /config's body.
std::string to_json(const ProxyConfig& config,
                    std::span<const std::string_view> secrets = secret_paths());

// Pretty-prints any JSON value the way to_json() does.
std::string format_json(const boost::json::value& root);

}  // namespace ferry::core
