#include "proxy/host_registry.h"

namespace ferry::proxy {

std::shared_ptr<filters::Host> HostRegistry::get_or_create(const std::string& cluster,
                                                           const core::SocketAddress& address,
                                                           const std::string& hostname) {
  auto& slot = hosts_[cluster + '/' + address.to_string()];
  if (auto live = slot.lock()) {
    return live;
  }
  auto host = std::make_shared<filters::Host>(address, hostname);
  slot = host;
  return host;
}

std::size_t HostRegistry::live() {
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    it = it->second.expired() ? hosts_.erase(it) : std::next(it);
  }
  return hosts_.size();
}

}  // namespace ferry::proxy
