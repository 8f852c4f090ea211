#include "perf/registry_bench/benchmarks.h"

#include <atomic>
#include <random>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

namespace ferry::perf {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string random_token() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out(32, '0');
  for (char& c : out) {
    c = kHex[rng() % 16];
  }
  return out;
}

// Runs one call to completion on the (not yet running) loop.
json::value call_sync(boost::asio::io_context& io, SignedClient& client, const std::string& action,
                      const json::object& body) {
  bool done = false;
  int status = 0;
  std::string text;
  client.call(action, json::serialize(body),
              [&](boost::system::error_code ec, int s, std::string b) {
                done = true;
                status = ec ? 0 : s;
                text = std::move(b);
              });
  while (!done) {
    io.run_one();
  }
  if (status != 200) {
    throw std::runtime_error(action + " failed (" + std::to_string(status) + "): " + text);
  }
  return json::parse(text);
}

struct Setup {
  std::string ns_name;
  std::string ns_id;
  std::string service_id;
};

Setup create_service(boost::asio::io_context& io, SignedClient& client, const std::string& kind) {
  Setup s;
  s.ns_name = "bench-" + kind + "-" + random_token().substr(0, 8) + ".local";
  const auto op = call_sync(io, client, "CreateHttpNamespace", {{"Name", s.ns_name}});
  const auto got = call_sync(io, client, "GetOperation", {{"OperationId", op.at("OperationId")}});
  s.ns_id = std::string(got.at("Operation").at("Targets").at("NAMESPACE").as_string());
  const auto svc =
      call_sync(io, client, "CreateService", {{"Name", "svc"}, {"NamespaceId", s.ns_id}});
  s.service_id = std::string(svc.at("Service").at("Id").as_string());
  return s;
}

std::string registration(const std::string& service, const std::string& instance, int n,
                         const std::string& extra_attribute = {}) {
  json::object attributes{{"AWS_INSTANCE_IPV4", "10.9." + std::to_string(n / 250 % 250) + "." +
                                                    std::to_string(n % 250 + 1)},
                          {"AWS_INSTANCE_PORT", "8080"}};
  if (!extra_attribute.empty()) {
    attributes["seq"] = extra_attribute;
  }
  return json::serialize(json::object{{"ServiceId", service},
                                      {"InstanceId", instance},
                                      {"CreatorRequestId", random_token()},
                                      {"Attributes", std::move(attributes)}});
}

std::vector<std::unique_ptr<SignedClient>> make_clients(boost::asio::io_context& io,
                                                        const BenchOptions& o, std::size_t n) {
  std::vector<std::unique_ptr<SignedClient>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::make_unique<SignedClient>(io, o.endpoint, o.credentials, o.region));
  }
  return out;
}

// Registers `count` instances through `clients` concurrently.
std::size_t register_all(boost::asio::io_context& io,
                         std::vector<std::unique_ptr<SignedClient>>& clients,
                         const std::string& service, std::size_t count) {
  std::size_t registered = 0;
  std::size_t pending = 0;
  for (std::size_t i = 0; i < count; ++i) {
    ++pending;
    clients[i % clients.size()]->call(
        "RegisterInstance", registration(service, "i-" + std::to_string(i), static_cast<int>(i)),
        [&](boost::system::error_code ec, int status, std::string body) {
          --pending;
          if (ec || status != 200) {
            throw std::runtime_error("registering the instances failed: " + body);
          }
          ++registered;
        });
  }
  while (pending > 0) {
    io.run_one();
  }
  return registered;
}

}  // namespace

BenchResult bench_register(boost::asio::io_context& io, const BenchOptions& o) {
  auto clients = make_clients(io, o, o.clients);
  const Setup setup = create_service(io, *clients[0], "register");
  BenchResult result{"register", 0, {}, 0, {}};
  std::vector<double> latencies;
  std::size_t ok = 0;
  std::size_t in_flight = 0;
  const auto start = Clock::now();
  const auto end = start + o.duration;
  std::function<void(std::size_t, int)> next = [&](std::size_t c, int k) {
    if (Clock::now() >= end) {
      return;
    }
    ++in_flight;
    const auto sent = Clock::now();
    const std::string id = "c" + std::to_string(c) + "-" + std::to_string(k % 10);
    clients[c]->call(
        "RegisterInstance", registration(setup.service_id, id, static_cast<int>(c)),
        [&, c, k, sent](boost::system::error_code ec, int status, std::string) {
          --in_flight;
          if (!ec && status == 200) {
            ++ok;
            latencies.push_back(std::chrono::duration<double>(Clock::now() - sent).count());
          } else {
            ++result.errors;
          }
          next(c, k + 1);
        });
  };
  for (std::size_t c = 0; c < clients.size(); ++c) {
    next(c, 0);
  }
  while (in_flight > 0) {
    io.run_one();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  result.rate = static_cast<double>(ok) / elapsed;
  result.latency = summarize(std::move(latencies));
  result.extra["acknowledged"] = static_cast<double>(ok);
  return result;
}

BenchResult bench_discover(boost::asio::io_context& io, const BenchOptions& o) {
  auto loaders = make_clients(io, o, 32);
  const Setup setup = create_service(io, *loaders[0], "discover");
  const std::size_t registered = register_all(io, loaders, setup.service_id, o.instances);
  auto clients = make_clients(io, o, o.discover_clients);
  const std::string body = json::serialize(json::object{
      {"NamespaceName", setup.ns_name}, {"ServiceName", "svc"}, {"MaxResults", o.max_results}});
  BenchResult result{"discover", 0, {}, 0, {}};
  std::vector<double> latencies;
  std::size_t in_flight = 0;
  std::size_t bytes = 0;
  const auto start = Clock::now();
  const auto end = start + o.duration;
  std::function<void(std::size_t)> next = [&](std::size_t c) {
    if (Clock::now() >= end) {
      return;
    }
    ++in_flight;
    const auto sent = Clock::now();
    clients[c]->call(
        "DiscoverInstances", body,
        [&, c, sent](boost::system::error_code ec, int status, std::string reply) {
          --in_flight;
          if (!ec && status == 200) {
            latencies.push_back(std::chrono::duration<double>(Clock::now() - sent).count());
            bytes = reply.size();
          } else {
            ++result.errors;
          }
          next(c);
        });
  };
  for (std::size_t c = 0; c < clients.size(); ++c) {
    next(c);
  }
  while (in_flight > 0) {
    io.run_one();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  result.rate = static_cast<double>(latencies.size()) / elapsed;
  result.latency = summarize(std::move(latencies));
  result.extra["instances"] = static_cast<double>(registered);
  result.extra["response_bytes"] = static_cast<double>(bytes);
  return result;
}

}  // namespace ferry::perf
