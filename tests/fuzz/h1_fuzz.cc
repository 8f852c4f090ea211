#include "tests/fuzz/h1_fuzz.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/http1/chunked_decoder.h"
#include "proxy/core/http1/request_parser.h"
#include "proxy/core/http1/response_parser.h"
#include "proxy/core/http1/serializer.h"

namespace ferry::fuzz {

namespace {

using namespace ferry::core;
using http1::ParseEvent;
using http1::ParseStep;

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

struct Input {
  std::uint8_t options = 0;
  std::uint32_t seed = 0;
  std::string_view wire;
};

bool split_input(const std::uint8_t* data, std::size_t size, Input& in) {
  if (size < 5) {
    return false;
  }
  in.options = data[0];
  in.seed = static_cast<std::uint32_t>(data[1]) | static_cast<std::uint32_t>(data[2]) << 8 |
            static_cast<std::uint32_t>(data[3]) << 16 | static_cast<std::uint32_t>(data[4]) << 24;
  in.wire = std::string_view(reinterpret_cast<const char*>(data) + 5, size - 5);
  return true;
}

http1::ParserOptions parser_options(std::uint8_t bits) {
  http1::ParserOptions o;
  if (bits & 1) {  // small limits, so the fuzzer reaches them
    o.max_header_bytes = 300;
    o.max_header_count = 6;
    o.max_target_length = 40;
    o.max_chunk_line_bytes = 24;
  }
  o.underscores = static_cast<http1::UnderscorePolicy>((bits >> 1) % 3);
  return o;
}

std::vector<std::string_view> chunks_of(std::string_view wire, std::uint32_t seed) {
  std::vector<std::string_view> chunks;
  std::mt19937 rng(seed);
  const std::size_t max = 1 + seed % 17;
  std::uniform_int_distribution<std::size_t> len(1, max);
  for (std::size_t pos = 0; pos < wire.size();) {
    const std::size_t n = std::min(len(rng), wire.size() - pos);
    chunks.push_back(wire.substr(pos, n));
    pos += n;
  }
  return chunks;
}

std::string describe_headers(const http::HeaderMap& h) {
  std::string out;
  for (const http::HeaderField f : h) {
    out.append(f.name).append(":").append(f.value).append("|");
  }
  return out;
}

std::string describe_framing(const http::BodyFraming& f) {
  return std::to_string(static_cast<int>(f.kind)) + "/" + std::to_string(f.length);
}

// One message as it came out of a parser.
struct Message {
  std::string head;      // a description for comparisons
  std::string raw_head;  // the bytes the Head event consumed
  std::string body;
  std::string trailers;
  bool complete = false;
};

struct Run {
  std::vector<Message> messages;
  std::string error;
  std::string str() const {
    std::string out;
    for (const Message& m : messages) {
      out += m.head + "\n[body " + std::to_string(m.body.size()) + "] " + m.body + "\n[trailers] " +
             m.trailers + (m.complete ? "\n[complete]\n" : "\n");
    }
    return out + "[error] " + error;
  }
};

std::string describe(const http::RequestHead& h) {
  return h.method_text + " " + h.path + " " + h.authority + " v" +
         std::to_string(static_cast<int>(h.version)) + " f" + describe_framing(h.framing) + " ka" +
         std::to_string(h.keep_alive) + " ec" + std::to_string(h.expect_continue) + " up" +
         h.upgrade + " ct" + std::string(h.connection_tokens.text()) + " d" +
         std::to_string(h.dropped_underscore_headers) + " " + describe_headers(h.headers);
}

std::string describe(const http::ResponseHead& h) {
  return std::to_string(h.status) + " " + h.reason + " v" +
         std::to_string(static_cast<int>(h.version)) + " f" + describe_framing(h.framing) + " ka" +
         std::to_string(h.keep_alive) + " t" + std::to_string(h.tunnel) + " cl" +
         std::to_string(h.has_content_length) + "/" + std::to_string(h.content_length) + " " +
         describe_headers(h.headers);
}

// Feeds `chunks` the way a connection does and records every message. Bytes
// handed out as data are checked to lie inside the input given.
template <class Parser, class OnHead>
Run drive(Parser& parser, const std::vector<std::string_view>& chunks, bool eof, OnHead on_head) {
  Run run;
  std::string buffer;
  for (std::string_view chunk : chunks) {
    buffer.append(chunk);
    for (int guard = 0;; ++guard) {
      if (guard > 1000000) {
        violated("parser makes no progress", run.str());
      }
      const ParseStep step = parser.parse(buffer);
      if (step.consumed > buffer.size()) {
        violated("consumed past the input", run.str());
      }
      if (step.event == ParseEvent::Data &&
          (step.data.data() < buffer.data() ||
           step.data.data() + step.data.size() > buffer.data() + buffer.size())) {
        violated("data outside the input", run.str());
      }
      bool more = true;
      switch (step.event) {
        case ParseEvent::NeedMore:
          more = false;
          break;
        case ParseEvent::Head:
          run.messages.push_back({});
          run.messages.back().head = describe(parser.head());
          run.messages.back().raw_head = buffer.substr(0, step.consumed);
          on_head(parser, run.messages.back());
          break;
        case ParseEvent::Data:
          run.messages.back().body.append(step.data);
          break;
        case ParseEvent::Trailers:
          run.messages.back().trailers = describe_headers(parser.trailers());
          break;
        case ParseEvent::Complete:
          run.messages.back().complete = true;
          break;
        case ParseEvent::Error:
          run.error = std::string(parser.error().reason_name());
          if (parser.parse(buffer).event != ParseEvent::Error) {
            violated("a failed parser accepted more input", run.str());
          }
          return run;
      }
      buffer.erase(0, step.consumed);
      if (!more || (step.event == ParseEvent::Complete && buffer.empty())) {
        break;
      }
    }
  }
  if (eof) {
    const ParseStep step = parser.finish();
    if (step.event == ParseEvent::Complete && !run.messages.empty() &&
        !run.messages.back().complete) {
      run.messages.back().complete = true;
    } else if (step.event == ParseEvent::Error) {
      run.error = std::string(parser.error().reason_name());
    }
  }
  return run;
}

// An independent look at the raw head: what the parser must never accept.
void check_raw_head(std::string_view raw, bool is_request, const std::string& context) {
  std::size_t start = 0;
  while (is_request && raw.substr(start, 2) == "\r\n") {
    start += 2;  // leading empty lines are allowed before a request line
  }
  std::size_t content_lengths = 0;
  std::size_t transfer_encodings = 0;
  for (std::size_t i = start; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\0') {
      violated("accepted a NUL in a head", context);
    }
    if (c == '\r' && (i + 1 >= raw.size() || raw[i + 1] != '\n')) {
      violated("accepted a bare CR", context);
    }
    if (c == '\n' && (i == 0 || raw[i - 1] != '\r')) {
      violated("accepted a bare LF", context);
    }
    if (c == '\n' && i + 1 < raw.size() && (raw[i + 1] == ' ' || raw[i + 1] == '\t')) {
      violated("accepted obs-fold", context);
    }
    if (c == '\n' && i + 1 < raw.size()) {
      std::string line(raw.substr(i + 1, 18));
      for (char& ch : line) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      content_lengths += line.starts_with("content-length:") ? 1 : 0;
      transfer_encodings += line.starts_with("transfer-encoding:") ? 1 : 0;
    }
  }
  if (content_lengths > 1) {
    violated("accepted two Content-Length fields", context);
  }
  if (content_lengths > 0 && transfer_encodings > 0) {
    violated("accepted Content-Length with Transfer-Encoding", context);
  }
}

void compare_runs(const Run& a, const Run& b, const char* what) {
  if (a.str() != b.str()) {
    violated(what, "whole:\n" + a.str() + "\n--- split:\n" + b.str());
  }
}

// Re-serializes an accepted HTTP/1.1 request and checks it parses the same.
void check_request_round_trip(const http::RequestHead& head, const Message& original,
                              const http1::ParserOptions& options) {
  std::string wire;
  if (!http1::append_request_head(wire, head, head.framing)) {
    violated("serializer refused a parsed head", original.head);
  }
  if (head.framing.kind == http::BodyFraming::Kind::Chunked) {
    http1::append_chunk(wire, original.body);
    (void)http1::append_last_chunk(wire);
  } else {
    wire.append(original.body);
  }
  http1::ParserOptions relaxed;  // the serialized head may be longer ("a:b" → "a: b")
  relaxed.underscores = options.underscores;
  http1::RequestParser again(relaxed);
  const Run run = drive(again, {wire}, false, [](auto&, Message&) {});
  if (run.messages.empty() || !run.error.empty() || run.messages[0].body != original.body) {
    violated("serialized request does not re-parse the same", original.head + "\n" + run.str());
  }
  // The target may change form (absolute → origin) and fields dropped by
  // policy are gone; everything else must come back the same.
  http::RequestHead first = head;
  http::RequestHead second = again.head();
  first.dropped_underscore_headers = second.dropped_underscore_headers = 0;
  if (describe(first) != describe(second)) {
    violated("serialized request re-parses to another head",
             describe(first) + "\n" + describe(second));
  }
}

}  // namespace

int fuzz_h1_request_parser(const std::uint8_t* data, std::size_t size) {
  Input in;
  if (!split_input(data, size, in)) {
    return 0;
  }
  const http1::ParserOptions options = parser_options(in.options);
  std::vector<http::RequestHead> heads;
  auto keep = [&](http1::RequestParser& p, Message& m) {
    check_raw_head(m.raw_head, true, m.head);
    heads.push_back(p.head());
  };
  http1::RequestParser whole_parser(options);
  const Run whole = drive(whole_parser, {in.wire}, true, keep);
  http1::RequestParser split_parser(options);
  const Run split = drive(split_parser, chunks_of(in.wire, in.seed), true, [](auto&, Message&) {});
  compare_runs(whole, split, "request parser is not split-invariant");
  for (std::size_t i = 0; i < whole.messages.size(); ++i) {
    const Message& m = whole.messages[i];
    if (m.complete && heads[i].version == http::Version::Http11) {
      check_request_round_trip(heads[i], m, options);
    }
  }
  return 0;
}

int fuzz_h1_response_parser(const std::uint8_t* data, std::size_t size) {
  Input in;
  if (!split_input(data, size, in)) {
    return 0;
  }
  static constexpr http::Method kMethods[] = {http::Method::Get, http::Method::Head,
                                              http::Method::Connect, http::Method::Post};
  const http::Method method = kMethods[in.options % 4];
  const http1::ParserOptions options = parser_options(static_cast<std::uint8_t>(in.options >> 2));
  auto check = [&](http1::ResponseParser& p, Message& m) {
    check_raw_head(m.raw_head, false, m.head);
    const http::ResponseHead& h = p.head();
    const bool bodyless = h.is_informational() || h.status == 204 || h.status == 304 ||
                          method == http::Method::Head ||
                          (method == http::Method::Connect && h.status / 100 == 2);
    using Kind = http::BodyFraming::Kind;
    if (bodyless && h.framing.kind != Kind::None) {
      violated("a response that has no body got body framing", m.head);
    }
    if (!bodyless && h.framing.kind == Kind::None) {
      violated("a response that may have a body got no framing", m.head);
    }
    if (h.framing.kind == Kind::ContentLength &&
        (!h.has_content_length || h.framing.length != h.content_length)) {
      violated("content-length framing without a matching field", m.head);
    }
    if (h.framing.kind == Kind::UntilClose && (h.has_content_length || h.keep_alive)) {
      violated("close-delimited framing with a length or keep-alive", m.head);
    }
    if (h.headers.contains("content-length") || h.headers.contains("transfer-encoding")) {
      violated("framing fields left in the header map", m.head);
    }
  };
  http1::ResponseParser whole_parser(options);
  whole_parser.set_request_method(method);
  const Run whole = drive(whole_parser, {in.wire}, true, check);
  http1::ResponseParser split_parser(options);
  split_parser.set_request_method(method);
  const Run split = drive(split_parser, chunks_of(in.wire, in.seed), true, [](auto&, Message&) {});
  compare_runs(whole, split, "response parser is not split-invariant");
  return 0;
}

namespace {

struct Decoded {
  std::string body;
  std::string trailers;
  std::string verdict;
  std::string str() const { return verdict + "\n" + body + "\n" + trailers; }
};

Decoded decode(const std::vector<std::string_view>& chunks, const http1::ParserOptions& options) {
  http1::ChunkedDecoder decoder;
  decoder.reset();
  http::HeaderMap trailers;
  Decoded out;
  std::string buffer;
  for (std::string_view chunk : chunks) {
    buffer.append(chunk);
    for (;;) {
      const ParseStep step = decoder.decode(buffer, options, trailers);
      if (step.event == ParseEvent::Data) {
        out.body.append(step.data);
      } else if (step.event == ParseEvent::Trailers) {
        out.trailers = describe_headers(trailers);
      } else if (step.event == ParseEvent::Complete) {
        out.verdict = "complete";
        return out;
      } else if (step.event == ParseEvent::Error) {
        out.verdict = std::string(http1::reason_name(decoder.error()));
        return out;
      }
      buffer.erase(0, step.consumed);
      if (step.event == ParseEvent::NeedMore) {
        break;
      }
    }
  }
  out.verdict = "incomplete";
  return out;
}

}  // namespace

int fuzz_chunked_decoder(const std::uint8_t* data, std::size_t size) {
  Input in;
  if (!split_input(data, size, in)) {
    return 0;
  }
  const http1::ParserOptions options = parser_options(in.options);
  const Decoded whole = decode({in.wire}, options);
  const Decoded split = decode(chunks_of(in.wire, in.seed), options);
  if (whole.str() != split.str()) {
    violated("chunked decoder is not split-invariant", whole.str() + "\n---\n" + split.str());
  }
  if (whole.verdict == "complete") {
    std::string wire;
    http1::append_chunk(wire, whole.body);
    (void)http1::append_last_chunk(wire);
    const Decoded again = decode({wire}, options);
    if (again.verdict != "complete" || again.body != whole.body) {
      violated("re-encoded body does not decode the same", whole.str() + "\n---\n" + again.str());
    }
  }
  return 0;
}

}  // namespace ferry::fuzz
