#include "control/request_reader.h"

#include <limits>

namespace ferry::control {
namespace json = boost::json;

RequestReader::RequestReader(const json::object& object, std::optional<ApiError>& error,
                             std::string path)
    : object_(object), error_(error), path_(std::move(path)) {}

std::string RequestReader::path_of(std::string_view name) const {
  if (path_.empty()) {
    return std::string(name);
  }
  return path_ + "." + std::string(name);
}

void RequestReader::fail(std::string_view name, std::string_view message) {
  if (error_) {
    return;
  }
  error_ = invalid_input("Value at '" + path_of(name) +
                         "' failed to satisfy constraint: " + std::string(message));
}

RequestReader RequestReader::child(const json::object& object, std::string_view name) const {
  return RequestReader(object, error_, path_of(name));
}

const json::value* RequestReader::member(std::string_view name, Presence presence) {
  if (error_) {
    return nullptr;
  }
  const json::value* v = object_.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (presence == Presence::Required) {
      fail(name, "Member must not be null");
    }
    return nullptr;
  }
  return v;
}

std::optional<std::string> RequestReader::string(std::string_view name, Presence presence,
                                                 std::size_t min_length, std::size_t max_length,
                                                 Pattern pattern, std::string_view pattern_text) {
  const json::value* v = member(name, presence);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    fail(name, "Member must be a string");
    return std::nullopt;
  }
  const json::string& s = v->get_string();
  if (s.size() < min_length) {
    fail(name, "Member must have length greater than or equal to " + std::to_string(min_length));
    return std::nullopt;
  }
  if (s.size() > max_length) {
    fail(name, "Member must have length less than or equal to " + std::to_string(max_length));
    return std::nullopt;
  }
  if (pattern != nullptr && !pattern(s)) {
    fail(name, "Member must satisfy regular expression pattern: " + std::string(pattern_text));
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::string> RequestReader::enumeration(
    std::string_view name, Presence presence, std::initializer_list<std::string_view> allowed) {
  auto value = string(name, presence, 0, std::numeric_limits<std::size_t>::max());
  if (!value) {
    return std::nullopt;
  }
  for (std::string_view a : allowed) {
    if (a == *value) {
      return value;
    }
  }
  std::string set;
  for (std::string_view a : allowed) {
    set.append(set.empty() ? "" : ", ").append(a);
  }
  fail(name, "Member must satisfy enum value set: [" + set + "]");
  return std::nullopt;
}

std::optional<std::int64_t> RequestReader::integer(std::string_view name, Presence presence,
                                                   std::int64_t min, std::int64_t max) {
  const json::value* v = member(name, presence);
  if (v == nullptr) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  if (v->is_int64()) {
    value = v->get_int64();
  } else if (v->is_uint64()) {
    value = std::numeric_limits<std::int64_t>::max();
  } else {
    fail(name, "Member must be an integer");
    return std::nullopt;
  }
  if (value < min) {
    fail(name, "Member must have value greater than or equal to " + std::to_string(min));
    return std::nullopt;
  }
  if (value > max) {
    fail(name, "Member must have value less than or equal to " + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

const json::object* RequestReader::object(std::string_view name, Presence presence) {
  const json::value* v = member(name, presence);
  if (v == nullptr) {
    return nullptr;
  }
  if (!v->is_object()) {
    fail(name, "Member must be an object");
    return nullptr;
  }
  return &v->get_object();
}

const json::array* RequestReader::array(std::string_view name, Presence presence,
                                        std::size_t min_items, std::size_t max_items) {
  const json::value* v = member(name, presence);
  if (v == nullptr) {
    return nullptr;
  }
  if (!v->is_array()) {
    fail(name, "Member must be a list");
    return nullptr;
  }
  const json::array& a = v->get_array();
  if (a.size() < min_items) {
    fail(name, "Member must have length greater than or equal to " + std::to_string(min_items));
    return nullptr;
  }
  if (a.size() > max_items) {
    fail(name, "Member must have length less than or equal to " + std::to_string(max_items));
    return nullptr;
  }
  return &a;
}

const json::object* RequestReader::string_map(std::string_view name, Presence presence) {
  const json::object* o = object(name, presence);
  if (o == nullptr) {
    return nullptr;
  }
  for (const auto& kv : *o) {
    if (!kv.value().is_string()) {
      fail(name, "Map values must be strings");
      return nullptr;
    }
  }
  return o;
}

}  // namespace ferry::control
