#include "proxy/core/http1/hop_by_hop.h"

#include <array>
#include <string>
#include <string_view>

#include "proxy/core/http1/char_class.h"

namespace ferry::core::http {

namespace chars = http1::chars;

namespace {

bool list_contains(std::string_view list, std::string_view token) {
  for (;;) {
    const std::size_t comma = list.find(',');
    std::string_view element = chars::trim_ows(list.substr(0, comma));
    element = element.substr(0, element.find(';'));  // "trailers;q=1"
    if (chars::iequals(chars::trim_ows(element), token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      return false;
    }
    list.remove_prefix(comma + 1);
  }
}

// Fields that are hop-by-hop whatever Connection says.
bool always_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 10:
      return name == "connection" || name == "keep-alive";
    case 14:
      return name == "http2-settings";
    case 16:
      return name == "proxy-connection";
    case 17:
      return name == "transfer-encoding";
    default:
      return false;
  }
}

}  // namespace

std::size_t remove_hop_by_hop(HeaderMap& headers, HopByHopPolicy policy) {
  // The options Connection lists, copied out (the removal below moves the
  // map's bytes). One scratch buffer per thread keeps this allocation-free;
  // most messages have no Connection field and skip it.
  thread_local std::string options;
  options.clear();
  for (const HeaderField f : headers) {
    if (f.name == "connection") {
      options.append(f.value).push_back(',');
    }
  }
  const auto listed = [&](std::string_view name) {
    std::string_view rest = options;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view token = chars::trim_ows(rest.substr(0, comma));
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      if (chars::iequals(token, name)) {
        return true;
      }
    }
    return false;
  };
  bool te_trailers = false;
  // One pass over the fields.
  const std::size_t removed = headers.remove_if([&](std::string_view name, std::string_view value) {
    if (always_hop_by_hop(name)) {
      return true;
    }
    if (name == "te") {
      // TE is decided here, whatever Connection lists: only "trailers" may
      // travel on (gRPC needs it end to end).
      te_trailers = te_trailers || list_contains(value, "trailers");
      return true;
    }
    if (name == "upgrade") {
      return !policy.keep_upgrade;
    }
    if (name == "host" || options.empty()) {
      return false;  // Host is never dropped, even when Connection lists it
    }
    return listed(name);
  });
  if (policy.keep_te_trailers && te_trailers) {
    headers.add("te", "trailers");
    return removed - 1;
  }
  return removed;
}

}  // namespace ferry::core::http
