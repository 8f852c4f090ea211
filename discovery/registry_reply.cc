// RegistryReply and RegistryClientOptions (registry_client.h).
#include <boost/json.hpp>

#include "discovery/registry_client.h"

namespace ferry::discovery {

void RegistryReply::read_error_body() {
  RegistryReply& reply = *this;
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 8;
  const boost::json::value v = boost::json::parse(reply.body, ec, {}, options);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) {
    return;
  }
  if (const auto* type = o->if_contains("__type"); type != nullptr && type->is_string()) {
    std::string_view t = type->get_string();
    if (const std::size_t hash = t.rfind('#'); hash != std::string_view::npos) {
      t.remove_prefix(hash + 1);
    }
    reply.error_type = std::string(t.substr(0, 128));
  }
  for (const char* key : {"Message", "message"}) {
    if (const auto* m = o->if_contains(key); m != nullptr && m->is_string()) {
      reply.error_message = std::string(std::string_view(m->get_string()).substr(0, 512));
      break;
    }
  }
}

bool RegistryReply::retryable() const {
  if (transport) {
    return true;
  }
  if (status >= 500 || status == 429) {
    return true;
  }
  return error_type == "ThrottlingException" || error_type == "RequestLimitExceeded" ||
         error_type == "ServiceUnavailable";
}

std::string RegistryReply::describe() const {
  std::string out = "replica " + replica + ": ";
  if (transport) {
    return out + transport.message();
  }
  out += std::to_string(status);
  if (!error_type.empty()) {
    out += " " + error_type;
  }
  if (!error_message.empty()) {
    out += ": " + error_message;
  }
  return out;
}

RegistryClientOptions RegistryClientOptions::from_config(const core::ControlPlaneConfig& config) {
  RegistryClientOptions out;
  out.addresses = config.addresses;
  out.region = config.region;
  out.request_timeout = config.request_timeout;
  out.watch_timeout = config.watch_timeout;
  out.backoff = config.reconnect_backoff;
  return out;
}

}  // namespace ferry::discovery
