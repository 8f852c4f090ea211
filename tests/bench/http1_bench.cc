// Micro-benchmark of the HTTP/1 codec on the shapes the proxy sees most: a
// ~200-byte request head and a small response, parsed by a reused parser,
// and the serialization of both. Prints ns per message and the heap
// allocations per message in steady state (counted by replacing operator new).
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "proxy/core/http1/request_parser.h"
#include "proxy/core/http1/response_parser.h"
#include "proxy/core/http1/serializer.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using namespace ferry::core;
// CPU time of this thread: on a shared machine wall-clock time per message
// mostly measures the neighbours.
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

constexpr std::string_view kRequest =
    "GET /api/v1/users/12345?fields=name,email HTTP/1.1\r\n"
    "Host: backend.mesh.local:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: application/json\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "X-Request-Id: 4f1c2a9e-7d3b-4c55-9a1e-2b6f0c8d9e10\r\n"
    "\r\n";

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 17\r\n"
    "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    "\r\n"
    "{\"name\":\"ferry\"}\n";

template <class Parser>
std::size_t parse_one(Parser& parser, std::string_view in) {
  std::size_t events = 0;
  for (;;) {
    const http1::ParseStep step = parser.parse(in);
    in.remove_prefix(step.consumed);
    ++events;
    if (step.event == http1::ParseEvent::Complete) {
      return events;
    }
    if (step.event == http1::ParseEvent::Error || step.event == http1::ParseEvent::NeedMore) {
      std::fprintf(stderr, "bench input did not parse\n");
      std::exit(1);
    }
  }
}

template <class F>
void run(const char* name, long iterations, F&& body) {
  for (long i = 0; i < iterations / 10; ++i) {  // warm-up: buffers reach their size
    body();
  }
  const std::uint64_t allocs_before = g_allocations.load();
  const double start = thread_cpu_ns();
  for (long i = 0; i < iterations; ++i) {
    body();
  }
  const double elapsed = thread_cpu_ns() - start;
  const std::uint64_t allocs = g_allocations.load() - allocs_before;
  std::printf("%-34s %8.1f ns/msg (thread CPU)   %.3f allocations/msg\n", name,
              elapsed / iterations, static_cast<double>(allocs) / static_cast<double>(iterations));
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 2000000;
  std::printf("request head: %zu bytes, response: %zu bytes, %ld iterations\n", kRequest.size(),
              kResponse.size(), iterations);
  http1::RequestParser request_parser;
  http1::ResponseParser response_parser;
  std::size_t sink = 0;
  run("parse request (head + complete)", iterations,
      [&] { sink += parse_one(request_parser, kRequest); });
  run("parse response (head + body)", iterations,
      [&] { sink += parse_one(response_parser, kResponse); });
  std::string out;
  const http::RequestHead& head = request_parser.head();
  run("serialize request head", iterations, [&] {
    out.clear();
    sink += http1::append_request_head(out, head, head.framing) ? out.size() : 0;
  });
  const http::ResponseHead& rhead = response_parser.head();
  run("serialize response head", iterations, [&] {
    out.clear();
    sink += http1::append_response_head(out, rhead, rhead.framing) ? out.size() : 0;
  });
  std::printf("(checksum %zu)\n", sink);
  return 0;
}
