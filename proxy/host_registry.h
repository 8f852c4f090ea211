#pragma once

#include <map>
#include <memory>
#include <string>

#include "filters/host.h"

namespace ferry::proxy {

// The process-wide table of live Host objects, keyed by cluster and canonical
// address (two clusters listing one endpoint get two Hosts, so ejection and
// health stay exact per cluster).
// Main thread only. Snapshots hold the hosts; the registry holds weak
// references, so a host lives exactly as long as some snapshot lists it and
// comes back as the same object (same counters, pools, ejection state) when a
// new snapshot lists the same address.
class HostRegistry {
 public:
  std::shared_ptr<filters::Host> get_or_create(const std::string& cluster,
                                               const core::SocketAddress& address,
                                               const std::string& hostname);
  // Number of live hosts (drops dead entries as it counts).
  std::size_t live();

 private:
  std::map<std::string, std::weak_ptr<filters::Host>> hosts_;
};

}  // namespace ferry::proxy
