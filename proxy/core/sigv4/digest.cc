#include "proxy/core/sigv4/digest.h"

#include <bit>
#include <cstring>

// SHA-256 as FIPS 180-4 specifies it, and HMAC as RFC 2104 builds it on a
// hash. Written here rather than taken from OpenSSL: these two functions were
// all ferry used of it, and loading libcrypto cost every sidecar 1.4 MiB of
// resident memory. SigV4 hashes small texts (a request body, a few lines of
// canonical request), so a portable loop is fast enough.
namespace ferry::core {
namespace {

constexpr std::size_t kBlock = 64;

constexpr std::array<std::uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

constexpr std::array<std::uint32_t, 8> kInitial = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

std::uint32_t load_be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

using State = std::array<std::uint32_t, 8>;

void compress(State& state, const unsigned char* block) {
  std::array<std::uint32_t, 64> w;
  for (std::size_t t = 0; t < 16; ++t) {
    w[t] = load_be32(block + 4 * t);
  }
  for (std::size_t t = 16; t < 64; ++t) {
    const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  State v = state;  // a b c d e f g h
  for (std::size_t t = 0; t < 64; ++t) {
    const std::uint32_t s1 = std::rotr(v[4], 6) ^ std::rotr(v[4], 11) ^ std::rotr(v[4], 25);
    const std::uint32_t choose = (v[4] & v[5]) ^ (~v[4] & v[6]);
    const std::uint32_t t1 = v[7] + s1 + choose + kRound[t] + w[t];
    const std::uint32_t s0 = std::rotr(v[0], 2) ^ std::rotr(v[0], 13) ^ std::rotr(v[0], 22);
    const std::uint32_t majority = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
    v = {t1 + s0 + majority, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
  }
  for (std::size_t i = 0; i < state.size(); ++i) {
    state[i] += v[i];
  }
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  State state = kInitial;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t whole = data.size() / kBlock * kBlock;
  for (std::size_t at = 0; at < whole; at += kBlock) {
    compress(state, p + at);
  }
  // The rest, 0x80, zeros to 56 mod 64, then the length in bits (big-endian):
  // one block, or two when the rest leaves no room for the length.
  std::array<unsigned char, 2 * kBlock> tail{};
  const std::size_t rest = data.size() - whole;
  if (rest > 0) {  // an empty view may have no data pointer at all
    std::memcpy(tail.data(), p + whole, rest);
  }
  tail[rest] = 0x80;
  const std::size_t blocks = rest + 1 + 8 <= kBlock ? 1 : 2;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  for (std::size_t i = 0; i < 8; ++i) {
    tail[blocks * kBlock - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  }
  for (std::size_t b = 0; b < blocks; ++b) {
    compress(state, tail.data() + b * kBlock);
  }
  Sha256Digest out{};
  for (std::size_t i = 0; i < state.size(); ++i) {
    for (std::size_t k = 0; k < 4; ++k) {
      out[4 * i + k] = static_cast<std::uint8_t>(state[i] >> (24 - 8 * k));
    }
  }
  return out;
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  // A key longer than a block is replaced by its hash; then zero-padded.
  std::array<char, kBlock> padded{};
  if (key.size() > kBlock) {
    const Sha256Digest short_key = sha256(key);
    std::memcpy(padded.data(), short_key.data(), short_key.size());
  } else if (!key.empty()) {
    std::memcpy(padded.data(), key.data(), key.size());
  }
  std::string inner(kBlock, '\0');
  std::string outer(kBlock, '\0');
  for (std::size_t i = 0; i < kBlock; ++i) {
    inner[i] = static_cast<char>(padded[i] ^ 0x36);
    outer[i] = static_cast<char>(padded[i] ^ 0x5c);
  }
  inner.append(data);
  outer.append(as_view(sha256(inner)));
  return sha256(outer);
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  // Every byte is looked at, whatever the first difference.
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace ferry::core
