#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::core {

// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), the primitives of SigV4.
// Thread-safe: no state is kept between calls.
using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// Lower-case hex of raw bytes, as SigV4 writes hashes and signatures.
std::string hex_encode(std::string_view bytes);
inline std::string hex_encode(const Sha256Digest& digest) {
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}
inline std::string_view as_view(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// Compares two strings in time independent of where they differ (signatures).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace ferry::core
