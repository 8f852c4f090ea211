#pragma once

#include <cstddef>

#include "proxy/core/http1/header_map.h"

namespace ferry::core::http {

// What a proxy keeps of the hop-by-hop fields (RFC 9110 §7.6.1).
struct HopByHopPolicy {
  // Keep Upgrade when the upgrade itself is being proxied (WebSocket); the
  // caller then writes its own "connection: upgrade".
  bool keep_upgrade = false;
  // Keep "te: trailers" (gRPC requires it end to end); any other TE value is
  // removed, and a list containing "trailers" is reduced to it.
  bool keep_te_trailers = true;
};

// Removes from `headers`, before a head is forwarded to the next hop:
// - Connection, and every field its options name (except Host: a client
//   cannot make ferry forward a request without the Host it routed on);
// - Keep-Alive, Proxy-Connection, Transfer-Encoding, HTTP2-Settings;
// - Upgrade unless policy.keep_upgrade; TE except "trailers" (see policy).
// Proxy-Authorization and Proxy-Authenticate are kept: ferry consumes no
// proxy credentials, and RFC 9110 §11.7 lets a proxy relay them to the next
// one. Returns how many fields were removed. Works on heads from any
// protocol (an HTTP/2 head should have none of these; any that is there goes).
std::size_t remove_hop_by_hop(HeaderMap& headers, HopByHopPolicy policy = {});

}  // namespace ferry::core::http
