#include "perf/load/http1_session.h"

#include <stdexcept>

namespace ferry::perf {

// ferry-load shares one HTTP/1 codec with the proxy (proxy/core/http1/);
// until that codec is on this branch there is no HTTP/1.1 client, rather
// than a second parser.
std::function<std::unique_ptr<ClientSession>(SessionEvents&)> make_http1_session_factory(
    const RequestTemplate& /*request*/) {
  throw std::runtime_error(
      "HTTP/1.1 is not available in this build (it waits for proxy/core/http1); use --http2");
}

}  // namespace ferry::perf
