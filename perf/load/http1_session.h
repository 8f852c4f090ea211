#pragma once

#include <functional>
#include <memory>

#include "perf/load/client_session.h"

namespace ferry::perf {

// The HTTP/1.1 keep-alive session factory for `request` (which outlives
// every session it makes). Start-up code: throws std::runtime_error when
// HTTP/1.1 cannot be offered.
std::function<std::unique_ptr<ClientSession>(SessionEvents&)> make_http1_session_factory(
    const RequestTemplate& request);

}  // namespace ferry::perf
