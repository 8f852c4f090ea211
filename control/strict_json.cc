#include "control/strict_json.h"

#include <algorithm>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace ferry::control {
namespace json = boost::json;
namespace {

// basic_parser handler that builds the value with a value_stack and remembers
// the keys of every open object to refuse duplicates.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  json::value_stack stack;
  std::vector<std::vector<std::string>> keys;  // per open object
  std::string key_buffer;
  std::string duplicate;

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    keys.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_buffer.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_buffer.append(s.data(), s.size());
    std::vector<std::string>& seen = keys.back();
    if (std::find(seen.begin(), seen.end(), key_buffer) != seen.end()) {
      duplicate = key_buffer;
      ec = json::error::syntax;
      return false;
    }
    seen.push_back(std::move(key_buffer));
    key_buffer.clear();
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

std::optional<json::value> parse_strict_json(std::string_view text, std::string& error,
                                             StrictJsonLimits limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  json::basic_parser<StrictHandler> parser(options);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used != text.size()) {
    ec = json::error::extra_data;
  }
  if (ec) {
    StrictHandler& handler = parser.handler();
    if (!handler.duplicate.empty()) {
      error = "duplicate key \"" + handler.duplicate.substr(0, 64) + "\"";
    } else if (ec == json::error::too_deep) {
      error = "nesting deeper than " + std::to_string(limits.max_depth) + " levels";
    } else if (ec == json::error::syntax && !text.empty()) {
      error = "malformed JSON (invalid syntax or UTF-8) near byte " + std::to_string(used);
    } else {
      error = "malformed JSON: " + ec.message();
    }
    return std::nullopt;
  }
  return parser.handler().stack.release();
}

}  // namespace ferry::control
