#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "control/api_error.h"

namespace ferry::control {

// Reads the members of a request object as the service model declares them,
// recording the first violation as an InvalidInput that names the member
// ("Value at 'Namespace.Description' failed to satisfy constraint: ...").
// Members the model does not declare are ignored, as AWS does, so newer
// clients that send newer members keep working.
//
// Children created with child() share the parent's error slot. Lives for one
// request on the loop thread.
class RequestReader {
 public:
  enum class Presence { Optional, Required };
  using Pattern = bool (*)(std::string_view);

  RequestReader(const boost::json::object& object, std::optional<ApiError>& error,
                std::string path = {});

  // A string member; nullopt when absent (or on error). Lengths in bytes.
  std::optional<std::string> string(std::string_view name, Presence presence,
                                    std::size_t min_length, std::size_t max_length,
                                    Pattern pattern = nullptr, std::string_view pattern_text = {});
  // A string that must be one of `allowed`.
  std::optional<std::string> enumeration(std::string_view name, Presence presence,
                                         std::initializer_list<std::string_view> allowed);
  std::optional<std::int64_t> integer(std::string_view name, Presence presence, std::int64_t min,
                                      std::int64_t max);
  const boost::json::object* object(std::string_view name, Presence presence);
  const boost::json::array* array(std::string_view name, Presence presence, std::size_t min_items,
                                  std::size_t max_items);
  // A map of string to string (Attributes, QueryParameters).
  const boost::json::object* string_map(std::string_view name, Presence presence);

  bool object_has(std::string_view name) const { return object_.contains(name); }

  RequestReader child(const boost::json::object& object, std::string_view name) const;

  // Records `message` about member `name` unless an error is already recorded.
  void fail(std::string_view name, std::string_view message);
  bool ok() const { return !error_.has_value(); }
  std::string path_of(std::string_view name) const;

 private:
  const boost::json::value* member(std::string_view name, Presence presence);

  const boost::json::object& object_;
  std::optional<ApiError>& error_;
  std::string path_;
};

}  // namespace ferry::control
