#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace ferry::control {

// Parses an API request body more strictly than boost::json::parse: nesting
// is bounded (the parser keeps its own stack, so a 100 000-deep "[[[[" is an
// error, not a stack overflow), strings must be valid UTF-8, and an object
// may not repeat a key (Boost.JSON would silently keep one of them). Called on
// the loop thread for every API request.
struct StrictJsonLimits {
  std::size_t max_depth = 32;
};

// nullopt with `error` set to a short description when the text is not
// acceptable JSON.
std::optional<boost::json::value> parse_strict_json(std::string_view text, std::string& error,
                                                    StrictJsonLimits limits = {});

}  // namespace ferry::control
