#pragma once

#include <span>
#include <string_view>
#include <type_traits>

namespace ferry::core {

// One spelling of an enum value in the config file. Each config enum has a
// table of these (config_enums.h): the reader parses with it, the JSON dump
// prints with it, so the two can never disagree.
template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

// The spelling of `value` in `names`; "" when missing from the table.
template <class E>
std::string_view enum_to_string(std::span<const EnumName<std::type_identity_t<E>>> names, E value) {
  for (const auto& entry : names) {
    if (entry.value == value) {
      return entry.name;
    }
  }
  return {};
}

}  // namespace ferry::core
