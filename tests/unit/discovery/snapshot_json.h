#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

// Builders of watch-API snapshot JSON for the discovery tests.
namespace ferry::discovery::test {

inline boost::json::object instance_json(const std::string& id, const std::string& ip, int port,
                                         const std::string& health = "HEALTHY",
                                         boost::json::object extra = {}) {
  boost::json::object attrs = std::move(extra);
  if (!ip.empty()) {
    attrs[ip.find(':') == std::string::npos ? "AWS_INSTANCE_IPV4" : "AWS_INSTANCE_IPV6"] = ip;
  }
  if (port != 0) {
    attrs["AWS_INSTANCE_PORT"] = std::to_string(port);
  }
  return {{"id", id}, {"health", health}, {"attributes", attrs}};
}

inline boost::json::object service_json(const std::string& name, const std::string& id,
                                        std::vector<boost::json::object> instances) {
  boost::json::array list;
  for (auto& i : instances) {
    list.push_back(std::move(i));
  }
  return {{"name", name}, {"id", id}, {"instances", list}};
}

inline std::string snapshot_json(const std::string& ns, std::int64_t version,
                                 std::vector<boost::json::object> services,
                                 const std::string& epoch = "epoch-1") {
  boost::json::array list;
  for (auto& s : services) {
    list.push_back(std::move(s));
  }
  return boost::json::serialize(boost::json::object{
      {"namespace", ns}, {"epoch", epoch}, {"version", version}, {"services", list}});
}

}  // namespace ferry::discovery::test
