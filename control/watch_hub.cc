#include "control/watch_hub.h"

#include <algorithm>
#include <vector>

#include <boost/json.hpp>

#include "control/api_error.h"

namespace ferry::control {
namespace json = boost::json;

WatchHub::WatchHub(const Registry& registry, std::size_t max_watchers)
    : registry_(registry), max_watchers_(max_watchers) {}

WatchHub::Reply WatchHub::not_found(std::string_view what) {
  return {404, std::make_shared<const std::string>(
                   api_error("NamespaceNotFound", std::string(what)).body())};
}

std::uint64_t WatchHub::watch(std::string_view namespace_name, std::string_view epoch,
                              std::optional<std::int64_t> version, Clock::time_point deadline,
                              Responder responder) {
  const auto* ns = registry_.state().find_namespace_by_name(namespace_name);
  if (ns == nullptr) {
    responder(not_found("No namespace exists with the name " +
                        std::string(namespace_name.substr(0, 256))));
    return 0;
  }
  const std::string& id = ns->ns.value->id;
  const std::int64_t current = registry_.state().namespace_version(id);
  if (epoch != registry_.epoch() || !version || *version != current) {
    responder({200, snapshot(id)});
    return 0;
  }
  if (waiters_.size() >= max_watchers_) {
    responder({503, std::make_shared<const std::string>(
                        store_unavailable("Too many watchers; retry later.").body())});
    return 0;
  }
  const std::uint64_t wid = next_id_++;
  waiters_.emplace(wid, Waiter{id, current, deadline, std::move(responder)});
  by_namespace_.emplace(id, wid);
  by_deadline_.emplace(deadline, wid);
  return wid;
}

void WatchHub::cancel(std::uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) {
    return;
  }
  by_deadline_.erase({it->second.deadline, id});
  auto [first, last] = by_namespace_.equal_range(it->second.namespace_id);
  for (auto n = first; n != last; ++n) {
    if (n->second == id) {
      by_namespace_.erase(n);
      break;
    }
  }
  waiters_.erase(it);
}

void WatchHub::answer(std::uint64_t id, const Reply& reply) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) {
    return;
  }
  Responder responder = std::move(it->second.responder);
  cancel(id);
  responder(reply);
}

void WatchHub::on_change(const ChangeSummary& summary) {
  for (const std::string& ns_id : summary.namespaces) {
    snapshots_.erase(ns_id);
    auto [first, last] = by_namespace_.equal_range(ns_id);
    if (first == last) {
      continue;
    }
    std::vector<std::uint64_t> ids;
    for (auto it = first; it != last; ++it) {
      ids.push_back(it->second);
    }
    if (registry_.state().find_namespace(ns_id) == nullptr) {
      const Reply gone = not_found("The namespace " + ns_id + " was deleted");
      for (std::uint64_t id : ids) {
        answer(id, gone);
      }
      continue;
    }
    const std::int64_t current = registry_.state().namespace_version(ns_id);
    Reply reply{200, nullptr};
    for (std::uint64_t id : ids) {
      if (waiters_.at(id).version == current) {
        continue;  // the change did not move the version (tags)
      }
      if (!reply.body) {
        reply.body = snapshot(ns_id);
      }
      answer(id, reply);
    }
  }
}

void WatchHub::expire(Clock::time_point now) {
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    answer(by_deadline_.begin()->second, Reply{304, nullptr});
  }
}

std::optional<WatchHub::Clock::time_point> WatchHub::next_deadline() const {
  if (by_deadline_.empty()) {
    return std::nullopt;
  }
  return by_deadline_.begin()->first;
}

void WatchHub::close_all(const Reply& reply) {
  while (!waiters_.empty()) {
    answer(waiters_.begin()->first, reply);
  }
}

std::shared_ptr<const std::string> WatchHub::snapshot(const std::string& namespace_id) {
  const RegistryState& state = registry_.state();
  const std::int64_t version = state.namespace_version(namespace_id);
  Cached& cached = snapshots_[namespace_id];
  if (cached.body && cached.version == version && cached.epoch == registry_.epoch()) {
    return cached.body;
  }
  const auto* ns = state.find_namespace(namespace_id);
  std::vector<const RegistryState::ServiceEntry*> services;
  for (const std::string& id : ns->service_ids) {
    if (const auto* s = state.find_service(id)) {
      services.push_back(s);
    }
  }
  std::sort(services.begin(), services.end(), [](const auto* a, const auto* b) {
    return a->service.value->name < b->service.value->name;
  });
  std::string out = "{\"namespace\":";
  out.append(json::serialize(json::string_view(ns->ns.value->name)));
  out.append(",\"epoch\":").append(json::serialize(json::string_view(registry_.epoch())));
  out.append(",\"version\":").append(std::to_string(version));
  out.append(",\"services\":[");
  for (std::size_t s = 0; s < services.size(); ++s) {
    const Service& service = *services[s]->service.value;
    out.append(s == 0 ? "{\"name\":" : ",{\"name\":");
    out.append(json::serialize(json::string_view(service.name)));
    out.append(",\"id\":").append(json::serialize(json::string_view(service.id)));
    out.append(",\"instances\":[");
    bool first = true;
    for (const auto& [id, entry] : services[s]->instances) {
      const Instance& instance = *entry.value;
      out.append(first ? "{\"id\":" : ",{\"id\":").append(instance.id_json);
      out.append(",\"health\":\"").append(to_string(instance.health));
      out.append("\",\"attributes\":").append(instance.attributes_json).push_back('}');
      first = false;
    }
    out.append("]}");
  }
  out.append("]}");
  cached = {version, registry_.epoch(), std::make_shared<const std::string>(std::move(out))};
  return cached.body;
}

}  // namespace ferry::control
