#include "control/ids.h"

#include <chrono>
#include <cstdio>
#include <random>

namespace ferry::control {
namespace {

std::mt19937_64& generator() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return rng;
}

std::string random_alnum(std::size_t n) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string out(n, '\0');
  for (char& c : out) {
    c = kAlphabet[pick(generator())];
  }
  return out;
}

std::string arn(std::string_view region, std::string_view account, std::string_view type,
                std::string_view id) {
  std::string out = "arn:aws:servicediscovery:";
  out.append(region).append(":").append(account).append(":");
  out.append(type).append("/").append(id);
  return out;
}

}  // namespace

std::string new_namespace_id() {
  return "ns-" + random_alnum(16);
}
std::string new_service_id() {
  return "srv-" + random_alnum(16);
}
// Time-ordered: 9 base-36 digits of the Unix time in milliseconds, then
// random characters. Operations are stored in id order, so new ones append
// to the end of the table instead of dirtying a random page each.
std::string new_operation_id() {
  static constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  std::string prefix(9, '0');
  for (std::size_t i = prefix.size(); i-- > 0;) {
    prefix[i] = kDigits[ms % 36];
    ms /= 36;
  }
  return prefix + random_alnum(23) + "-" + random_alnum(8);
}
std::string new_epoch() {
  return random_alnum(16);
}

std::string new_request_id() {
  std::uniform_int_distribution<std::uint64_t> any;
  std::uint64_t hi = any(generator());
  std::uint64_t lo = any(generator());
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string namespace_arn(std::string_view region, std::string_view account, std::string_view id) {
  return arn(region, account, "namespace", id);
}

std::string service_arn(std::string_view region, std::string_view account, std::string_view id) {
  return arn(region, account, "service", id);
}

std::optional<ResourceName> parse_resource_arn(std::string_view text, std::string_view region,
                                               std::string_view account) {
  std::string prefix = "arn:aws:servicediscovery:";
  prefix.append(region).append(":").append(account).append(":");
  if (text.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  const std::string_view rest = text.substr(prefix.size());
  for (auto [type, name] :
       {std::pair{ResourceName::Type::Namespace, std::string_view("namespace/")},
        std::pair{ResourceName::Type::Service, std::string_view("service/")}}) {
    if (rest.substr(0, name.size()) == name && rest.size() > name.size()) {
      const std::string_view id = rest.substr(name.size());
      if (id.find('/') != std::string_view::npos) {
        return std::nullopt;
      }
      return ResourceName{type, std::string(id)};
    }
  }
  return std::nullopt;
}

std::optional<std::string> resolve_id(std::string_view id_or_arn, ResourceName::Type type,
                                      std::string_view region, std::string_view account) {
  if (id_or_arn.substr(0, 4) != "arn:") {
    return std::string(id_or_arn);
  }
  auto parsed = parse_resource_arn(id_or_arn, region, account);
  if (!parsed || parsed->type != type) {
    return std::nullopt;
  }
  return std::move(parsed->id);
}

}  // namespace ferry::control
