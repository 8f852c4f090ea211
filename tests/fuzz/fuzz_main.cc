// libFuzzer entry point; FERRY_FUZZ_TARGET names the harness (see CMakeLists).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/h1_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return ferry::fuzz::FERRY_FUZZ_TARGET(data, size);
}
