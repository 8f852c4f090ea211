#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/http1/request_parser.h"
#include "proxy/core/http1/response_parser.h"

// Drives a parser the way a connection does (a buffer that keeps unconsumed
// bytes, fed in chunks) and turns what comes out into a transcript: one line
// per event, consecutive body data merged, so runs over different splits of
// the same bytes can be compared with ==.
namespace ferry::core::http1::testing {

inline std::string describe_framing(const http::BodyFraming& f) {
  switch (f.kind) {
    case http::BodyFraming::Kind::None:
      return "none";
    case http::BodyFraming::Kind::ContentLength:
      return "cl=" + std::to_string(f.length);
    case http::BodyFraming::Kind::Chunked:
      return "chunked";
    case http::BodyFraming::Kind::UntilClose:
      return "close";
  }
  return "?";
}

inline std::string describe_headers(const http::HeaderMap& h) {
  std::string out;
  for (const http::HeaderField f : h) {
    out.append(f.name).append("=").append(f.value).append(";");
  }
  return out;
}

inline std::string describe(const http::RequestHead& h) {
  return "HEAD " + h.method_text + " " + h.target + " path=" + h.path + " auth=" + h.authority +
         " v=" + std::string(http::version_name(h.version)) + " " + describe_framing(h.framing) +
         " ka=" + std::to_string(h.keep_alive) + " 100c=" + std::to_string(h.expect_continue) +
         " up=" + h.upgrade + " conn=" + std::string(h.connection_tokens.text()) +
         " dropped=" + std::to_string(h.dropped_underscore_headers) + " [" +
         describe_headers(h.headers) + "]";
}

inline std::string describe(const http::ResponseHead& h) {
  return "HEAD " + std::to_string(h.status) + " " + h.reason +
         " v=" + std::string(http::version_name(h.version)) + " " + describe_framing(h.framing) +
         " ka=" + std::to_string(h.keep_alive) + " tunnel=" + std::to_string(h.tunnel) +
         " cl=" + (h.has_content_length ? std::to_string(h.content_length) : "-") +
         " up=" + h.upgrade + " [" + describe_headers(h.headers) + "]";
}

struct Transcript {
  std::vector<std::string> events;
  std::string error;  // reason name, empty if none
  std::uint16_t status = 0;

  std::string str() const {
    std::string out;
    for (const auto& e : events) {
      out.append(e).append("\n");
    }
    return out;
  }
};

// Runs `parser` over `chunks`; calls finish() at the end when `eof`.
template <class Parser>
Transcript run_chunks(Parser& parser, const std::vector<std::string_view>& chunks, bool eof) {
  Transcript t;
  std::string buffer;
  std::string data;
  auto flush_data = [&] {
    if (!data.empty()) {
      t.events.push_back("DATA " + data);
      data.clear();
    }
  };
  auto record = [&](const ParseStep& step) -> bool {
    switch (step.event) {
      case ParseEvent::NeedMore:
        return false;
      case ParseEvent::Head:
        flush_data();
        t.events.push_back(describe(parser.head()));
        return true;
      case ParseEvent::Data:
        data.append(step.data);
        return true;
      case ParseEvent::Trailers:
        flush_data();
        t.events.push_back("TRAILERS [" + describe_headers(parser.trailers()) + "]");
        return true;
      case ParseEvent::Complete:
        flush_data();
        t.events.push_back("COMPLETE");
        return true;
      case ParseEvent::Error:
        flush_data();
        t.error = std::string(parser.error().reason_name());
        t.status = parser.error().status;
        t.events.push_back("ERROR " + t.error);
        return false;
    }
    return false;
  };
  for (std::string_view chunk : chunks) {
    buffer.append(chunk);
    for (int guard = 0; guard < 1000000; ++guard) {
      const ParseStep step = parser.parse(buffer);
      if (step.consumed > buffer.size()) {
        t.events.push_back("BUG consumed past the input");
        return t;
      }
      const bool more = record(step);  // before the erase: data points into `buffer`
      buffer.erase(0, step.consumed);
      if (!more) {
        break;
      }
      if (step.event == ParseEvent::Complete && buffer.empty()) {
        break;  // the next message needs bytes
      }
    }
    if (!t.error.empty()) {
      return t;
    }
  }
  flush_data();
  if (eof) {
    const ParseStep step = parser.finish();
    if (step.event == ParseEvent::Complete) {
      t.events.push_back("EOF");
    } else {
      record(step);
    }
  }
  return t;
}

// Splits `input` at `cuts` random points (some cuts may produce 1-byte pieces).
inline std::vector<std::string_view> random_split(std::string_view input, std::mt19937& rng) {
  std::vector<std::string_view> chunks;
  if (input.empty()) {
    return chunks;
  }
  std::uniform_int_distribution<int> mode(0, 3);
  const int m = mode(rng);
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t n;
    if (m == 0) {
      n = 1;  // byte by byte
    } else {
      std::uniform_int_distribution<std::size_t> len(1, m == 1 ? 4 : (m == 2 ? 32 : input.size()));
      n = len(rng);
    }
    n = std::min(n, input.size() - pos);
    chunks.push_back(input.substr(pos, n));
    pos += n;
  }
  return chunks;
}

inline Transcript parse_request(std::string_view input, const ParserOptions& options = {},
                                bool eof = false) {
  RequestParser parser(options);
  return run_chunks(parser, {input}, eof);
}

inline Transcript parse_response(std::string_view input, http::Method method = http::Method::Get,
                                 const ParserOptions& options = {}, bool eof = false) {
  ResponseParser parser(options);
  parser.set_request_method(method);
  return run_chunks(parser, {input}, eof);
}

// The transcript of `input` fed whole, after checking that `runs` random
// splittings of it give exactly the same transcript (split-invariance).
// `make` builds a fresh parser.
template <class MakeParser>
Transcript split_invariant(std::string_view input, MakeParser make, bool eof = false,
                           int runs = 50) {
  auto whole_parser = make();
  const Transcript whole = run_chunks(whole_parser, {input}, eof);
  std::mt19937 rng(static_cast<std::uint32_t>(std::hash<std::string_view>()(input)));
  for (int i = 0; i < runs; ++i) {
    auto parser = make();
    const auto chunks = random_split(input, rng);
    const Transcript split = run_chunks(parser, chunks, eof);
    if (split.str() != whole.str()) {
      Transcript bad;
      bad.error = "SPLIT MISMATCH";
      bad.events = {"whole:\n" + whole.str(),
                    "split (" + std::to_string(chunks.size()) + " chunks):\n" + split.str()};
      return bad;
    }
  }
  return whole;
}

inline Transcript request_splits(std::string_view input, const ParserOptions& options = {},
                                 bool eof = false) {
  return split_invariant(
      input, [&] { return RequestParser(options); }, eof);
}

inline Transcript response_splits(std::string_view input, http::Method method = http::Method::Get,
                                  bool eof = false, const ParserOptions& options = {}) {
  return split_invariant(
      input,
      [&] {
        ResponseParser parser(options);
        parser.set_request_method(method);
        return parser;
      },
      eof);
}

}  // namespace ferry::core::http1::testing
