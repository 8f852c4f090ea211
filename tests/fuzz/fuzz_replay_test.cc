// Runs every fuzz harness over its committed seed corpus and over a few
// thousand deterministic mutations of it, so CI exercises the harnesses (and
// their invariants) with gcc and without libFuzzer. A broken invariant aborts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/h1_fuzz.h"

namespace ferry::fuzz {
namespace {

using Harness = int (*)(const std::uint8_t*, std::size_t);

std::vector<std::string> load_corpus(const std::string& target) {
  std::vector<std::string> seeds;
  const std::filesystem::path dir = std::filesystem::path(FERRY_FUZZ_CORPUS) / target;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::sort(seeds.begin(), seeds.end());  // directory order is not stable
  return seeds;
}

// Mutations in the spirit of libFuzzer's: bit flips, interesting bytes and
// HTTP tokens inserted, bytes erased, ranges duplicated, truncation.
void mutate(std::string& s, std::mt19937& rng) {
  static constexpr std::string_view kTokens[] = {"\r\n",
                                                 "\n",
                                                 "\r",
                                                 "\r\n\r\n",
                                                 " ",
                                                 "\t",
                                                 ":",
                                                 ";",
                                                 ",",
                                                 "\"",
                                                 "\0",
                                                 "\x0b",
                                                 "_",
                                                 "0",
                                                 "ffffffffffffffff",
                                                 "-1",
                                                 "Content-Length: 5\r\n",
                                                 "Transfer-Encoding: chunked\r\n",
                                                 "Host: a\r\n",
                                                 "chunked",
                                                 "gzip, ",
                                                 "0\r\n\r\n",
                                                 "HTTP/1.1",
                                                 "HTTP/1.0",
                                                 "\r\n ",
                                                 "100-continue",
                                                 "Connection: close\r\n",
                                                 "GET / HTTP/1.1\r\n",
                                                 "5\r\nhello\r\n",
                                                 "a@b",
                                                 "%zz"};
  std::uniform_int_distribution<int> kind(0, 5);
  auto pos = [&](std::size_t extra) {
    return std::uniform_int_distribution<std::size_t>(0, s.size() + extra - 1)(rng);
  };
  switch (s.empty() ? 1 : kind(rng)) {
    case 0:
      s[pos(0)] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 1: {
      const std::string_view token = kTokens[rng() % std::size(kTokens)];
      s.insert(pos(1), token.data(), token.size());
      break;
    }
    case 2:
      s.erase(pos(0), 1 + rng() % 4);
      break;
    case 3: {
      const std::size_t from = pos(0);
      const std::size_t len = std::min<std::size_t>(1 + rng() % 32, s.size() - from);
      s.insert(pos(1), s.substr(from, len));
      break;
    }
    case 4:
      s.resize(pos(1));
      break;
    default:
      s[pos(0)] = static_cast<char>(rng() % 256);
      break;
  }
}

void replay(const std::string& target, Harness harness, int mutations) {
  const std::vector<std::string> seeds = load_corpus(target);
  ASSERT_FALSE(seeds.empty()) << "no seed corpus for " << target;
  for (const std::string& seed : seeds) {
    harness(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  }
  std::mt19937 rng(20240501);
  for (int i = 0; i < mutations; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    const int rounds = 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < rounds; ++r) {
      mutate(input, rng);
    }
    harness(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  }
}

TEST(FuzzReplay, RequestParser) {
  replay("fuzz_h1_request_parser", fuzz_h1_request_parser, 4000);
}

TEST(FuzzReplay, ResponseParser) {
  replay("fuzz_h1_response_parser", fuzz_h1_response_parser, 4000);
}

TEST(FuzzReplay, ChunkedDecoder) {
  replay("fuzz_chunked_decoder", fuzz_chunked_decoder, 4000);
}

}  // namespace
}  // namespace ferry::fuzz
