#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::control {

// RELIABILITY §5 F9: arbitrary bytes as an API request (the first byte picks
// the action, the rest is the body) through JSON decoding, validation and the
// mutations, against an in-memory registry that the same call seeds with a
// namespace, a service and an instance. Invariants: no crash, bounded depth,
// every reply is 200 with a JSON object or a 4xx with a Cloud Map error
// body. Returns 0 (libFuzzer's convention); aborts on a violated invariant.
int fuzz_registry_request_json(const std::uint8_t* data, std::size_t size);

}  // namespace ferry::control
