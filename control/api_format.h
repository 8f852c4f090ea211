#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "control/registry_state.h"

namespace ferry::control {

// Cloud Map's output shapes, built from the read model. Loop thread.
struct OutputContext {
  std::string account_id;
};

boost::json::object namespace_json(const RegistryState::NamespaceEntry& entry,
                                   const OutputContext& ctx, bool summary);
boost::json::object service_json(const Service& service, std::size_t instance_count,
                                 const OutputContext& ctx, bool summary);
boost::json::object operation_json(const Operation& op, const OutputContext& ctx);
boost::json::object attributes_json(const Attributes& attributes);
boost::json::array tags_json(const std::vector<Tag>& tags);

// Pagination tokens: opaque to clients, naming the last key of the previous
// page and the listing they belong to (a token of another listing is refused).
std::string make_page_token(std::string_view listing, std::string_view last_key);
std::optional<std::string> parse_page_token(std::string_view listing, std::string_view token);

// A JSON text with the keys of every object sorted, for request fingerprints.
std::string canonical_json(const boost::json::value& value);

}  // namespace ferry::control
