#pragma once

#include <cstdint>
#include <string>

namespace ferry::proxy {

// Writes a random UUID (version 4) into `out` ("xxxxxxxx-xxxx-4xxx-yxxx-
// xxxxxxxxxxxx"), reusing its capacity. `random` is the worker's generator.
template <typename Random>
void make_request_id(std::string& out, Random& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hi = random();
  std::uint64_t lo = random();
  hi = (hi & ~0xf000ULL) | 0x4000ULL;            // version 4
  lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);  // variant 10
  out.resize(36);
  int bit = 60;
  std::size_t pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) {
      out[pos++] = '-';
    }
    const std::uint64_t word = i < 16 ? hi : lo;
    out[pos++] = kHex[(word >> bit) & 0xf];
    bit = bit == 0 ? 60 : bit - 4;
  }
}

}  // namespace ferry::proxy
