#pragma once

#include <span>
#include <string_view>

#include "proxy/core/config/config_reader.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::core {

// DESIGN.md: a key it names that the code does not implement yet is an
// error saying so, never silently ignored. The table (not_implemented.cc)
// has one entry per line, in the form of normalize_path():
//   "clusters[].retry_policy"     refused when the key is written in the file
//   "clusters[].protocol=http2"   refused when the key's effective value
//                                 (written, or its default) is http2
// Remove a line when its feature lands.
std::span<const std::string_view> not_implemented_entries();

// Reports "<path>: not implemented yet" for each entry that matches
// `config` (values) or ctx.lines() (written keys). A match inside a key that
// is already refused (retry_policy.budget under a refused retry_policy) is
// not reported again. Runs on the loading thread after reading.
void check_not_implemented(const ProxyConfig& config, ReadContext& ctx,
                           std::span<const std::string_view> entries);

}  // namespace ferry::core
