#include "proxy/dns_refresher.h"

#include <algorithm>

#include "proxy/core/log.h"

namespace ferry::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

DnsRefresher::DnsRefresher(asio::io_context& main, OnChange on_change)
    : main_(main), resolver_(main), on_change_(std::move(on_change)) {}

void DnsRefresher::watch(const std::string& host, std::chrono::steady_clock::duration interval) {
  auto [it, inserted] = entries_.try_emplace(host);
  if (inserted) {
    it->second.interval = interval;
    it->second.timer = std::make_unique<asio::steady_timer>(main_);
    ++pending_initial_;
  } else {
    it->second.interval = std::min(it->second.interval, interval);
  }
}

void DnsRefresher::start() {
  for (auto& [host, entry] : entries_) {
    resolve(host);
  }
}

void DnsRefresher::stop() {
  stopped_ = true;
  resolver_.cancel();
  for (auto& [host, entry] : entries_) {
    entry.timer->cancel();
  }
}

const std::vector<core::SocketAddress>& DnsRefresher::addresses(const std::string& host) const {
  static const std::vector<core::SocketAddress> kNone;
  auto it = entries_.find(host);
  return it == entries_.end() ? kNone : it->second.addresses;
}

void DnsRefresher::resolve(const std::string& host) {
  resolver_.async_resolve(
      host, "0", tcp::resolver::numeric_service,
      [this, host](const boost::system::error_code& ec,
                   const tcp::resolver::results_type& results) { on_resolved(host, ec, results); });
}

void DnsRefresher::on_resolved(const std::string& host, const boost::system::error_code& ec,
                               const tcp::resolver::results_type& results) {
  if (stopped_ || ec == asio::error::operation_aborted) {
    return;
  }
  Entry& entry = entries_.at(host);
  bool changed = false;
  if (ec) {
    FERRY_LOG_LIMITED(spdlog::level::warn, "dns: resolving {} failed: {} (keeping {} addresses)",
                      host, ec.message(), entry.addresses.size());
  } else {
    std::vector<core::SocketAddress> fresh;
    for (const auto& r : results) {
      const auto& ep = r.endpoint();
      if (auto a =
              core::SocketAddress::from_sockaddr(ep.data(), static_cast<socklen_t>(ep.size()))) {
        if (std::find(fresh.begin(), fresh.end(), *a) == fresh.end()) {
          fresh.push_back(*a);
        }
      }
    }
    changed = fresh != entry.addresses;
    entry.addresses = std::move(fresh);
  }
  if (!entry.answered) {
    entry.answered = true;
    --pending_initial_;
    changed = true;
  }
  if (changed) {
    on_change_();
  }
  entry.timer->expires_after(entry.interval);
  entry.timer->async_wait([this, host](const boost::system::error_code& tec) {
    if (!tec && !stopped_) {
      resolve(host);
    }
  });
}

}  // namespace ferry::proxy
