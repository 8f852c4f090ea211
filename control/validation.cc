#include "control/validation.h"

#include <arpa/inet.h>

#include <array>
#include <string>

namespace ferry::control {
namespace {

bool is_visible(char c) {
  return c >= '!' && c <= '~';
}

bool all_visible(std::string_view s) {
  for (char c : s) {
    if (!is_visible(c)) {
      return false;
    }
  }
  return true;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63) {
    return false;
  }
  if (label.size() == 1) {
    return is_alnum(label[0]);
  }
  for (char c : label) {
    if (!is_label_char(c)) {
      return false;
    }
  }
  return label.front() != '-' && label.back() != '-';
}

constexpr std::array<std::string_view, 7> kReserved = {
    "AWS_INSTANCE_IPV4",  "AWS_INSTANCE_IPV6",   "AWS_INSTANCE_PORT",      "AWS_INSTANCE_CNAME",
    "AWS_ALIAS_DNS_NAME", "AWS_EC2_INSTANCE_ID", "AWS_INIT_HEALTH_STATUS",
};

bool is_reserved(std::string_view key) {
  for (std::string_view r : kReserved) {
    if (r == key) {
      return true;
    }
  }
  return false;
}

bool is_valid_port(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return false;
  }
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return text[0] != '0' && value >= 1 && value <= 65535;
}

ApiError bad_attribute(std::string_view key, std::string_view what) {
  return invalid_input("Value at 'Attributes." + std::string(key) +
                       "' failed to satisfy constraint: " + std::string(what));
}

std::optional<ApiError> check_reserved(std::string_view key, std::string_view value) {
  if (key == "AWS_INSTANCE_IPV4" && !is_valid_ipv4(value)) {
    return bad_attribute(key, "Member must be an IPv4 address in dotted-decimal form");
  }
  if (key == "AWS_INSTANCE_IPV6" && !is_valid_ipv6(value)) {
    return bad_attribute(key, "Member must be an IPv6 address");
  }
  if (key == "AWS_INSTANCE_PORT" && !is_valid_port(value)) {
    return bad_attribute(key, "Member must be a port number between 1 and 65535");
  }
  if (key == "AWS_INIT_HEALTH_STATUS" && value != "HEALTHY" && value != "UNHEALTHY") {
    return bad_attribute(key, "Member must satisfy enum value set: [HEALTHY, UNHEALTHY]");
  }
  if ((key == "AWS_INSTANCE_CNAME" || key == "AWS_ALIAS_DNS_NAME") && value.size() > 255) {
    return bad_attribute(key, "Member must have length less than or equal to 255");
  }
  return std::nullopt;
}

}  // namespace

bool is_valid_http_namespace_name(std::string_view name) {
  return is_valid_namespace_name(name) && name.substr(0, 4) != "arn:";
}

bool is_valid_namespace_name(std::string_view name) {
  return !name.empty() && name.size() <= 1024 && all_visible(name);
}

bool is_valid_service_name(std::string_view name) {
  if (name == ".") {
    return true;
  }
  if (name.empty() || name.size() > 127) {
    return false;
  }
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = name.find('.', pos);
    const std::string_view label =
        name.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (!is_valid_label(label)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    pos = dot + 1;
  }
}

bool is_valid_instance_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    if (!is_alnum(c) && c != '_' && c != '/' && c != ':' && c != '.' && c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_valid_attribute_key(std::string_view key) {
  return !key.empty() && key.size() <= 255 && all_visible(key);
}

bool is_valid_attribute_value(std::string_view value) {
  if (value.size() > 1024) {
    return false;
  }
  if (value.empty()) {
    return true;
  }
  if (!is_visible(value[0])) {
    return false;
  }
  for (char c : value.substr(1)) {
    if (!is_visible(c) && c != ' ' && c != '\t') {
      return false;
    }
  }
  return true;
}

bool is_valid_ipv4(std::string_view text) {
  int parts = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = text.find('.', pos);
    const std::string_view part =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) {
      return false;
    }
    unsigned value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') {
        return false;
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) {
      return false;
    }
    ++parts;
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  return parts == 4;
}

bool is_valid_ipv6(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return false;
  }
  const std::string copy(text);
  in6_addr addr{};
  return inet_pton(AF_INET6, copy.c_str(), &addr) == 1;
}

std::optional<ApiError> validate_attributes(const Attributes& attributes,
                                            const AttributeLimits& limits) {
  std::size_t custom = 0;
  std::size_t total = 0;
  bool has_ec2 = false;
  for (const auto& [key, value] : attributes) {
    if (!is_valid_attribute_key(key)) {
      return invalid_input(
          "Value at 'Attributes' failed to satisfy constraint: Map keys must satisfy constraint: "
          "[Member must have length less than or equal to 255, Member must satisfy regular "
          "expression pattern: ^[a-zA-Z0-9!-~]+$]");
    }
    if (!is_valid_attribute_value(value)) {
      return bad_attribute(key,
                           "Member must have length less than or equal to 1024 and satisfy "
                           "regular expression pattern: "
                           "^([a-zA-Z0-9!-~][ \\ta-zA-Z0-9!-~]*){0,1}[a-zA-Z0-9!-~]{0,1}$");
    }
    if (is_reserved(key)) {
      if (auto error = check_reserved(key, value)) {
        return error;
      }
      has_ec2 = has_ec2 || key == "AWS_EC2_INSTANCE_ID";
    } else {
      ++custom;
    }
    total += key.size() + value.size();
  }
  if (custom > limits.max_custom) {
    return invalid_input("Value at 'Attributes' failed to satisfy constraint: at most " +
                         std::to_string(limits.max_custom) + " custom attributes are allowed");
  }
  if (total > limits.max_total_chars) {
    return invalid_input(
        "Value at 'Attributes' failed to satisfy constraint: keys and values "
        "may total at most " +
        std::to_string(limits.max_total_chars) + " characters");
  }
  if (has_ec2) {
    for (const auto& [key, value] : attributes) {
      if (key != "AWS_EC2_INSTANCE_ID" && key != "AWS_INIT_HEALTH_STATUS") {
        return bad_attribute(key,
                             "with AWS_EC2_INSTANCE_ID the only other attribute allowed is "
                             "AWS_INIT_HEALTH_STATUS");
      }
    }
  }
  return std::nullopt;
}

}  // namespace ferry::control
