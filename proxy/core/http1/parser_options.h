#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ferry::core::http1 {

// What to do with a header whose name contains '_' (nginx and Envoy treat
// these as suspicious: some frameworks map '-' and '_' to the same variable).
enum class UnderscorePolicy : std::uint8_t { Allow, Drop, Reject };

// Limits of one parser. Defaults are RELIABILITY.md's; every one is a config
// knob of the listener that owns the parser.
struct ParserOptions {
  // Start line plus header fields plus the final empty line, in bytes; also
  // the bound of a trailer section. Over it: 431 headers_too_large.
  std::uint32_t max_header_bytes = 60 * 1024;
  // Header fields in one head (and in one trailer section). Over it: 431.
  std::uint32_t max_header_count = 100;
  // Request-target length. Over it: 414.
  std::uint32_t max_target_length = 16 * 1024;
  // One chunk-size line with its extensions. Over it: 400 bad_chunk.
  std::uint32_t max_chunk_line_bytes = 4096;
  UnderscorePolicy underscores = UnderscorePolicy::Allow;
};

// What one parse() call yields.
enum class ParseEvent : std::uint8_t {
  NeedMore,  // every byte given was used or must be kept; call again with more
  Head,      // the head is complete: head() is valid
  Data,      // ParseStep::data holds body bytes
  Trailers,  // trailers() is valid (chunked bodies with trailer fields)
  Complete,  // the message is complete; the parser is ready for the next one
  Error,     // error() says why; the parser accepts nothing more
};

// The result of one parse() call: the event, and how many bytes at the front
// of the input the caller must drop before the next call. The bytes not
// consumed must be presented again, followed by any new ones.
struct ParseStep {
  ParseEvent event = ParseEvent::NeedMore;
  std::size_t consumed = 0;
  // Data: body bytes inside the caller's input (zero-copy); valid until the
  // caller modifies or drops that input.
  std::string_view data;
};

}  // namespace ferry::core::http1
