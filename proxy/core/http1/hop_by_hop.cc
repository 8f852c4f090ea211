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

}  // namespace

std::size_t remove_hop_by_hop(HeaderMap& headers, HopByHopPolicy policy) {
  std::size_t removed = 0;
  // The options are copied out first: removing fields moves the map's bytes.
  // One scratch buffer per thread keeps this free of allocations.
  thread_local std::string options;
  options.clear();
  for (const HeaderField f : headers) {
    if (f.name == "connection") {
      options.append(f.value).push_back(',');
    }
  }
  std::string_view rest = options;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view token = chars::trim_ows(rest.substr(0, comma));
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    if (token.empty() || chars::iequals(token, "host") ||
        (policy.keep_upgrade && chars::iequals(token, "upgrade")) || chars::iequals(token, "te")) {
      continue;  // TE is decided below; Host is never dropped
    }
    removed += headers.remove(token);
  }
  static constexpr std::array<std::string_view, 5> kAlways = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "http2-settings"};
  for (std::string_view name : kAlways) {
    removed += headers.remove(name);
  }
  if (!policy.keep_upgrade) {
    removed += headers.remove("upgrade");
  }
  bool te_trailers = false;
  for (const HeaderField f : headers) {
    if (f.name == "te" && list_contains(f.value, "trailers")) {
      te_trailers = true;
    }
  }
  const std::size_t te_fields = headers.remove("te");
  if (policy.keep_te_trailers && te_trailers) {
    headers.add("te", "trailers");
    removed += te_fields - 1;
  } else {
    removed += te_fields;
  }
  return removed;
}

}  // namespace ferry::core::http
