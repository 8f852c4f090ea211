#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/config/config_error.h"
#include "proxy/core/config/not_implemented.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/core/config/yaml_tree.h"

namespace ferry::core {

// Limits and switches of one load. The defaults are what ferry-proxy uses.
struct LoadOptions {
  // A config file larger than this is refused before parsing (4 MiB: a
  // thousand listeners and clusters fit in a tenth of it).
  std::size_t max_file_size = std::size_t{4} * 1024 * 1024;
  YamlLimits yaml;
  // Errors kept; the rest are counted in one last line.
  std::size_t max_errors = ConfigErrors::kDefaultMaxErrors;
  // Entries refused as "not implemented yet" (not_implemented.h). Tests of
  // the schema itself pass an empty span.
  std::span<const std::string_view> not_implemented = not_implemented_entries();
};

// Either a valid config or the reasons it is not: exactly one of `config`
// and `errors` is set. Errors are sorted by line.
struct LoadResult {
  std::optional<ProxyConfig> config;
  std::vector<ConfigError> errors;

  bool ok() const { return config.has_value(); }
};

// Parses and validates a whole config from memory. `file_label` names the
// source in errors ("ferry.yaml"). Callable from any thread at any time: it
// touches no shared state (the proxy runs it on the main thread for a reload
// while workers serve). Every problem is reported, not just the first: YAML
// syntax (with its line), refused YAML features (anchors, aliases, tags,
// duplicate keys, too deep), unknown keys, wrong types, invalid values,
// cross-references, and keys not implemented yet. An empty document is an
// error: a proxy without listeners or service_connect has nothing to do.
LoadResult parse_proxy_config(std::string_view yaml, const std::string& file_label,
                              const LoadOptions& options = {});

// Reads `path` and parses it; the errors name `path`. A file that does not
// exist, cannot be read, is a directory, or exceeds options.max_file_size is
// one error with line 0.
LoadResult load_proxy_config_file(const std::string& path, const LoadOptions& options = {});

// `ferry-proxy --check-config`: loads `path`, prints each error as one
// `FILE:LINE: key.path: message` line to `err`, and returns the exit code:
// 0 when the config is valid, 2 when it is not.
int check_config_file(const std::string& path, std::ostream& err, const LoadOptions& options = {});

}  // namespace ferry::core
