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
  hi = (hi & ~0xf000ULL) | 0x4000ULL;            // version 4 (the 13th hex digit)
  lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);  // variant 10
  out.resize(36);
  char* p = out.data();
  // Sixteen bytes, most significant first, as 8-4-4-4-12 hex digits.
  const auto put_bytes = [&p](std::uint64_t word, int from_byte, int count) {
    for (int i = from_byte; i < from_byte + count; ++i) {
      const auto byte = static_cast<unsigned>((word >> (56 - 8 * i)) & 0xff);
      *p++ = kHex[byte >> 4];
      *p++ = kHex[byte & 0xf];
    }
  };
  put_bytes(hi, 0, 4);
  *p++ = '-';
  put_bytes(hi, 4, 2);
  *p++ = '-';
  put_bytes(hi, 6, 2);
  *p++ = '-';
  put_bytes(lo, 0, 2);
  *p++ = '-';
  put_bytes(lo, 2, 6);
}

}  // namespace ferry::proxy
