#include "control/change_set.h"

namespace ferry::control {

std::string namespace_name_index(std::string_view name) {
  return "nsname/" + std::string(name);
}

std::string service_name_index(std::string_view namespace_id, std::string_view name) {
  return service_name_index_prefix(namespace_id) + std::string(name);
}

std::string service_name_index_prefix(std::string_view namespace_id) {
  return "svcname/" + std::string(namespace_id) + "/";
}

std::string instance_prefix(std::string_view service_id) {
  return "inst/" + std::string(service_id) + "/";
}

}  // namespace ferry::control
