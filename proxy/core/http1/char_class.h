#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "proxy/core/text.h"

// Byte classes of RFC 9110 / RFC 9112 as lookup tables. Internal to the codec:
// every scanner tests a byte with one load instead of a chain of comparisons.
namespace ferry::core::http1::chars {

enum : std::uint8_t {
  kToken = 1 << 0,       // tchar
  kFieldValue = 1 << 1,  // field-vchar / SP / HTAB / obs-text
  kTarget = 1 << 2,      // bytes accepted in a request-target (see is_target)
  kHex = 1 << 3,         // HEXDIG
  kQdText = 1 << 4,      // qdtext of a quoted-string
  kHostChar = 1 << 5,    // reg-name / IP-literal bytes of a Host value (plus ':' '[' ']')
};

constexpr bool is_tchar_raw(unsigned c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    if (is_tchar_raw(c)) {
      v |= kToken;
    }
    // field-value: VCHAR (0x21-0x7e), obs-text (0x80-0xff), SP, HTAB.
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') {
      v |= kFieldValue;
    }
    // request-target: printable ASCII except '#' (a fragment is never sent).
    // The finer URI rules (%-escapes) are checked once the target is known.
    if (c >= 0x21 && c <= 0x7e && c != '#') {
      v |= kTarget;
    }
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      v |= kHex;
    }
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
        (c >= 0x5d && c <= 0x7e) || c >= 0x80) {
      v |= kQdText;
    }
    // Host: unreserved / pct-encoded / sub-delims, ':' for the port, '[' ']'
    // around an IP-literal.
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        std::string_view("-._~%!$&'()*+,;=:[]").find(static_cast<char>(c)) !=
            std::string_view::npos) {
      v |= kHostChar;
    }
    t[c] = v;
  }
  return t;
}

inline constexpr std::array<std::uint8_t, 256> kTable = make_table();

inline bool is_token(char c) {
  return (kTable[static_cast<unsigned char>(c)] & kToken) != 0;
}
inline bool is_field_value(char c) {
  return (kTable[static_cast<unsigned char>(c)] & kFieldValue) != 0;
}
inline bool is_target(char c) {
  return (kTable[static_cast<unsigned char>(c)] & kTarget) != 0;
}
inline bool is_hex(char c) {
  return (kTable[static_cast<unsigned char>(c)] & kHex) != 0;
}
inline bool is_qdtext(char c) {
  return (kTable[static_cast<unsigned char>(c)] & kQdText) != 0;
}
inline bool is_host_char(char c) {
  return (kTable[static_cast<unsigned char>(c)] & kHostChar) != 0;
}
inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Eight bytes at a time (SWAR): the scanners skip runs of ordinary bytes with
// one test per word and fall back to the table at the first suspicious byte.
namespace swar {
inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
inline std::uint64_t load(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof(x));
  return x;
}
// Any byte below n (n <= 128); exact as a boolean.
inline bool has_less(std::uint64_t x, std::uint8_t n) {
  return ((x - kOnes * n) & ~x & kHigh) != 0;
}
inline bool has_byte(std::uint64_t x, std::uint8_t b) {
  const std::uint64_t y = x ^ (kOnes * b);
  return ((y - kOnes) & ~y & kHigh) != 0;
}
// ASCII lower-casing of eight bytes at once; bytes >= 0x80 are left alone.
inline std::uint64_t to_lower8(std::uint64_t x) {
  const std::uint64_t heptets = x & ~kHigh;
  const std::uint64_t above_z = heptets + kOnes * 0x25;  // bit 7 set when byte > 'Z'
  const std::uint64_t from_a = heptets + kOnes * 0x3f;   // bit 7 set when byte >= 'A'
  const std::uint64_t upper = (from_a ^ above_z) & ~x & kHigh;
  return x | (upper >> 2);
}
// A byte that may end or break a field value: a CTL (HTAB included, so it is
// looked at by the exact test) or DEL.
inline bool maybe_not_field_value(std::uint64_t x) {
  return has_less(x, 0x20) || has_byte(x, 0x7f);
}
// A byte that may not belong to a request-target.
inline bool maybe_not_target(std::uint64_t x) {
  return (x & kHigh) != 0 || has_less(x, 0x21) || has_byte(x, 0x7f) || has_byte(x, '#');
}
}  // namespace swar

// The first byte of [p, end) that is not a field-value byte (or end).
inline const char* skip_field_value(const char* p, const char* end) {
  while (end - p >= 8 && !swar::maybe_not_field_value(swar::load(p))) {
    p += 8;
  }
  while (p < end && is_field_value(*p)) {
    ++p;
  }
  return p;
}

// The first byte of [p, end) that cannot be in a request-target (or end).
inline const char* skip_target(const char* p, const char* end) {
  while (end - p >= 8 && !swar::maybe_not_target(swar::load(p))) {
    p += 8;
  }
  while (p < end && is_target(*p)) {
    ++p;
  }
  return p;
}

inline bool is_field_value_string(std::string_view s) {
  return skip_field_value(s.data(), s.data() + s.size()) == s.data() + s.size();
}

// The ASCII helpers every parser shares (proxy/core/text.h); is_ows above is
// exactly what trim_ows strips.
using core::iequals;
using core::to_lower;
using core::trim_ows;

// True when every byte is a tchar and the string is not empty.
inline bool is_token_string(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!is_token(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace ferry::core::http1::chars
