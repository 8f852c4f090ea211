#include "perf/load/load_run.h"

#include <netdb.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "perf/load/http1_session.h"
#include "perf/load/http2_session.h"
#include "perf/load/load_worker.h"
#include "perf/load/process_cpu.h"

namespace ferry::perf {
namespace {

core::SocketAddress resolve(const TargetUrl& target) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(target.port);
  const int rv = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &found);
  if (rv != 0 || found == nullptr) {
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", target.host, gai_strerror(rv)));
  }
  const auto address = core::SocketAddress::from_sockaddr(found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (!address) {
    throw std::runtime_error(fmt::format("{}: no IPv4 or IPv6 address", target.host));
  }
  return *address;
}

std::uint32_t usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) {
    return 1;
  }
  return static_cast<std::uint32_t>(std::max(1, CPU_COUNT(&set)));
}

// Many connections need many descriptors; take what the hard limit allows.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

RequestTemplate make_request(const TargetUrl& target, const LoadOptions& options) {
  RequestTemplate request{target.authority, target.path, {}};
  for (const std::string& header : options.headers) {
    const auto colon = header.find(':');
    std::string name = header.substr(0, colon);
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (options.http2) {
      // HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
    }
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  return request;
}

double cpu_seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

void sleep_until_ns(std::uint64_t deadline_ns) {
  const timespec ts{static_cast<time_t>(deadline_ns / 1'000'000'000u),
                    static_cast<long>(deadline_ns % 1'000'000'000u)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace

PreparedRun prepare_run(const LoadOptions& options) {
  auto url = parse_target_url(options.url);
  if (auto* error = std::get_if<std::string>(&url)) {
    throw std::runtime_error(*error);
  }
  const TargetUrl& target = std::get<TargetUrl>(url);
  PreparedRun run;
  run.plan.address = resolve(target);
  run.plan.request = make_request(target, options);
  run.plan.connections = options.connections;
  run.plan.timeout_ns = static_cast<std::uint64_t>(options.timeout.count());
  // Timeouts are checked in coarse sweeps (no timer per request): an
  // eighth of the timeout, between 1 ms and 100 ms.
  run.plan.sweep_interval_ns =
      std::clamp<std::uint64_t>(run.plan.timeout_ns / 8, 1'000'000, 100'000'000);
  const std::uint32_t streams = options.http2 ? options.streams : 1;
  if (options.http2) {
    // The sessions point into the template's strings: the factory owns a
    // copy that lives as long as the plan (which may be moved around).
    auto request = std::make_shared<const RequestTemplate>(run.plan.request);
    run.plan.make_session = [request, streams](SessionEvents& events) {
      return std::unique_ptr<ClientSession>(
          std::make_unique<Http2Session>(*request, streams, events));
    };
  } else {
    run.plan.make_session = make_http1_session_factory(run.plan.request);
  }
  run.threads =
      std::min(options.threads != 0 ? options.threads : usable_cpus(), options.connections);
  run.cpu_pids.assign(options.cpu_pids.begin(), options.cpu_pids.end());
  run.description.peer_cpu_pids = options.cpu_pids;
  run.warmup = options.warmup;
  run.duration = options.duration;

  RunDescription& d = run.description;
  d.url = options.url;
  d.protocol = options.http2 ? "h2c" : "http/1.1";
  d.open_loop = options.rate.has_value();
  d.target_rate = options.rate.value_or(0.0);
  d.connections = options.connections;
  d.threads = run.threads;
  d.streams = streams;
  d.duration_seconds = std::chrono::duration<double>(options.duration).count();
  d.warmup_seconds = std::chrono::duration<double>(options.warmup).count();
  d.timeout_seconds = std::chrono::duration<double>(options.timeout).count();
  const double total = d.duration_seconds + d.warmup_seconds;
  run.progress = options.progress == LoadOptions::Progress::Always ||
                 (options.progress == LoadOptions::Progress::Auto && total > 3.0 &&
                  ::isatty(STDOUT_FILENO) != 0);
  raise_fd_limit();
  return run;
}

namespace {

// CPU time at one edge of the window: ferry-load's own and the --cpu-pid
// processes'.
struct CpuSample {
  rusage self{};
  std::optional<ProcessCpu> peers;
};

CpuSample sample_cpu(const std::vector<pid_t>& pids) {
  CpuSample sample;
  ::getrusage(RUSAGE_SELF, &sample.self);
  sample.peers = read_processes_cpu(pids);
  return sample;
}

// The main thread's part of a run: sleeps to the window's edges to sample
// CPU time there, printing the progress line once a second on the way.
std::pair<CpuSample, CpuSample> watch_window(const PreparedRun& run,
                                             const std::function<std::uint64_t()>& responses) {
  const RunPlan& plan = run.plan;
  std::pair<CpuSample, CpuSample> edges;
  std::uint64_t last_count = 0;
  std::uint64_t next_tick = plan.start_ns + 1'000'000'000u;
  bool warm_sampled = false;
  for (;;) {
    std::uint64_t next = plan.end_ns;
    if (!warm_sampled) {
      next = std::min(next, plan.warm_ns);
    }
    if (run.progress) {
      next = std::min(next, next_tick);
    }
    sleep_until_ns(next);
    if (!warm_sampled && next >= plan.warm_ns) {
      edges.first = sample_cpu(run.cpu_pids);
      warm_sampled = true;
    }
    if (run.progress && next >= next_tick) {
      const std::uint64_t count = responses();
      fmt::print("\r[{:4.0f}s] {:10} req/s  {:12} responses ",
                 static_cast<double>(next_tick - plan.start_ns) / 1e9, count - last_count, count);
      std::fflush(stdout);
      last_count = count;
      next_tick += 1'000'000'000u;
    }
    if (next >= plan.end_ns) {
      edges.second = sample_cpu(run.cpu_pids);
      return edges;
    }
  }
}

void describe_cpu(const PreparedRun& run, const std::pair<CpuSample, CpuSample>& edges,
                  RunDescription& d) {
  const auto& [warm, end] = edges;
  d.cpu_user_seconds = cpu_seconds(end.self.ru_utime) - cpu_seconds(warm.self.ru_utime);
  d.cpu_system_seconds = cpu_seconds(end.self.ru_stime) - cpu_seconds(warm.self.ru_stime);
  if (!run.cpu_pids.empty() && warm.peers && end.peers) {
    d.peer_cpu_valid = true;
    d.peer_cpu_user_seconds = end.peers->user_seconds - warm.peers->user_seconds;
    d.peer_cpu_system_seconds = end.peers->system_seconds - warm.peers->system_seconds;
  }
}

}  // namespace

RunResults run_load(PreparedRun& run) {
  RunPlan& plan = run.plan;
  // The workers start connecting at once; the schedule starts with them.
  plan.start_ns = monotonic_ns();
  plan.warm_ns = plan.start_ns + static_cast<std::uint64_t>(run.warmup.count());
  plan.end_ns = plan.warm_ns + static_cast<std::uint64_t>(run.duration.count());
  if (run.description.open_loop) {
    plan.schedule.emplace(run.description.target_rate, plan.connections, plan.start_ns);
  }
  std::vector<std::unique_ptr<LoadWorker>> workers;
  for (std::uint32_t t = 0; t < run.threads; ++t) {
    std::vector<std::uint32_t> mine;
    for (std::uint32_t c = t; c < plan.connections; c += run.threads) {
      mine.push_back(c);
    }
    workers.push_back(std::make_unique<LoadWorker>(plan, std::move(mine)));
  }
  std::vector<std::string> errors(workers.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] { errors[i] = workers[i]->run(); });
  }
  const auto edges = watch_window(run, [&] {
    std::uint64_t sum = 0;
    for (const auto& w : workers) {
      sum += w->responses_seen();
    }
    return sum;
  });
  for (auto& thread : threads) {
    thread.join();
  }
  if (run.progress) {
    fmt::print("\r{:60}\r", "");
    std::fflush(stdout);
  }
  for (const std::string& error : errors) {
    if (!error.empty()) {
      throw std::runtime_error(error);
    }
  }
  describe_cpu(run, edges, run.description);
  RunResults total;
  for (const auto& w : workers) {
    total.merge(w->results());
  }
  return total;
}

}  // namespace ferry::perf
