#pragma once

#include <algorithm>
#include <string_view>

// The shapes Cloud Map gives its identifiers (CLOUDMAP.md): what ferry checks
// before it trusts an id read from the environment or from the registry.
namespace ferry::discovery {

// InstanceId: 1–64 of [0-9a-zA-Z_/:.@-].
inline bool is_instance_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '/' || c == ':' || c == '.' || c == '@' || c == '-';
  });
}

// ServiceId: "srv-" and up to 64 alphanumerics.
inline bool is_service_id(std::string_view id) {
  return id.size() > 4 && id.size() <= 68 && id.substr(0, 4) == "srv-" &&
         std::all_of(id.begin() + 4, id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

}  // namespace ferry::discovery
