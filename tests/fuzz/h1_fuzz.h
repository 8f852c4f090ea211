#pragma once

#include <cstddef>
#include <cstdint>

// Fuzz harnesses of the HTTP/1 codec (RELIABILITY.md §5, F1–F3). Each is a
// plain function, so the same code runs under libFuzzer (fuzz_main_*.cc with
// -DFERRY_FUZZ=ON, clang) and as a corpus-replay unit test built with gcc.
// A harness returns 0 and aborts the process (after printing why) when an
// invariant breaks.
//
// Input layout (so a fuzzer controls options and split points too):
//   byte 0     options (limits, underscore policy, response: request method)
//   bytes 1-4  seed of the split points
//   bytes 5-   the bytes on the wire
// Shorter inputs are ignored.
namespace ferry::fuzz {

// F1: split-invariance; never accepts CL+TE, two Content-Lengths, bare CR or
// LF, obs-fold or NUL in a head; an accepted HTTP/1.1 request re-serializes
// and re-parses to the same head and body.
int fuzz_h1_request_parser(const std::uint8_t* data, std::size_t size);

// F2: split-invariance (with EOF at the end); 1xx/204/304/HEAD/CONNECT-2xx
// heads have no body; the framing chosen matches the framing fields exactly;
// after an error the parser stays failed (the connection is never reused).
int fuzz_h1_response_parser(const std::uint8_t* data, std::size_t size);

// F3: the chunked decoder gives the same body, trailers and verdict under any
// split; what it accepts re-encodes and decodes to the same body.
int fuzz_chunked_decoder(const std::uint8_t* data, std::size_t size);

}  // namespace ferry::fuzz
