// bench_propagation of benchmarks.h.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "perf/registry_bench/benchmarks.h"

namespace ferry::perf {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Watcher {
  std::unique_ptr<SignedClient> client;
  std::string epoch;
  std::int64_t version = 0;
  std::int64_t seen = 0;  // highest seq observed
};

// The "seq" attribute of the one instance in a snapshot (0 if none).
std::int64_t seq_of(const json::value& snapshot) {
  for (const auto& service : snapshot.at("services").as_array()) {
    for (const auto& instance : service.at("instances").as_array()) {
      if (const auto* seq = instance.at("attributes").as_object().if_contains("seq")) {
        return std::stoll(std::string(seq->as_string()));
      }
    }
  }
  return 0;
}

}  // namespace

BenchResult bench_propagation(boost::asio::io_context& io, const BenchOptions& o) {
  SignedClient writer(io, o.endpoint, o.credentials, o.region);
  bool ok = false;
  std::string ns_name =
      "bench-watch-" + std::to_string(Clock::now().time_since_epoch().count() % 1000000) + ".local";
  std::string service_id;
  // Setup, sequentially on the not-yet-running loop.
  auto run = [&](const std::string& action, const json::object& body) {
    json::value out;
    bool done = false;
    writer.call(action, json::serialize(body),
                [&](boost::system::error_code ec, int status, std::string text) {
                  done = true;
                  ok = !ec && status == 200;
                  if (ok && !text.empty()) {
                    out = json::parse(text);
                  }
                });
    while (!done) {
      io.run_one();
    }
    if (!ok) {
      throw std::runtime_error(action + " failed");
    }
    return out;
  };
  const auto op = run("CreateHttpNamespace", {{"Name", ns_name}});
  const auto got = run("GetOperation", {{"OperationId", op.at("OperationId")}});
  const std::string ns_id(got.at("Operation").at("Targets").at("NAMESPACE").as_string());
  service_id = std::string(run("CreateService", {{"Name", "svc"}, {"NamespaceId", ns_id}})
                               .at("Service")
                               .at("Id")
                               .as_string());

  std::vector<Watcher> watchers(o.watchers);
  std::map<std::int64_t, Clock::time_point> acked;
  std::map<std::int64_t, Clock::time_point> sent;
  std::vector<double> samples;       // from the writer's 2xx (0 when delivered before it)
  std::vector<double> from_request;  // from the moment the registration was sent
  std::size_t early = 0;             // delivered before the writer had its 2xx
  std::size_t errors = 0;
  std::function<void(std::size_t)> poll = [&](std::size_t w) {
    Watcher& watcher = watchers[w];
    std::string target = "/v1/watch?namespace=" + ns_name + "&timeout=30s";
    if (!watcher.epoch.empty()) {
      target += "&epoch=" + watcher.epoch + "&version=" + std::to_string(watcher.version);
    }
    watcher.client->get(target, [&, w](boost::system::error_code ec, int status, std::string body) {
      const auto now = Clock::now();
      Watcher& me = watchers[w];
      if (ec) {
        ++errors;
        return;
      }
      if (status == 200) {
        const json::value snapshot = json::parse(body);
        me.epoch = std::string(snapshot.at("epoch").as_string());
        me.version = snapshot.at("version").as_int64();
        const std::int64_t seq = seq_of(snapshot);
        for (std::int64_t s = me.seen + 1; s <= seq; ++s) {
          if (auto request = sent.find(s); request != sent.end()) {
            from_request.push_back(std::chrono::duration<double>(now - request->second).count());
          }
          auto it = acked.find(s);
          if (it == acked.end()) {
            ++early;
            samples.push_back(0);
          } else {
            samples.push_back(std::chrono::duration<double>(now - it->second).count());
          }
        }
        me.seen = std::max(me.seen, seq);
      }
      poll(w);
    });
  };
  for (std::size_t w = 0; w < watchers.size(); ++w) {
    watchers[w].client = std::make_unique<SignedClient>(io, o.endpoint, o.credentials, o.region);
    poll(w);
  }
  auto all_seen = [&](std::int64_t k) {
    return std::all_of(watchers.begin(), watchers.end(),
                       [k](const Watcher& w) { return w.seen >= k; });
  };
  const auto start = Clock::now();
  for (std::int64_t k = 1; k <= static_cast<std::int64_t>(o.changes); ++k) {
    bool done = false;
    sent[k] = Clock::now();
    json::object attributes{{"AWS_INSTANCE_IPV4", "10.8.0.1"}, {"seq", std::to_string(k)}};
    writer.call("RegisterInstance",
                json::serialize(json::object{
                    {"ServiceId", service_id}, {"InstanceId", "p"}, {"Attributes", attributes}}),
                [&, k](boost::system::error_code ec, int status, std::string) {
                  acked[k] = Clock::now();
                  done = true;
                  errors += (ec || status != 200) ? 1 : 0;
                });
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while ((!done || !all_seen(k)) && Clock::now() < deadline) {
      io.run_one_for(std::chrono::milliseconds(50));
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  BenchResult result{"propagation", static_cast<double>(o.changes) / elapsed, {}, errors, {}};
  result.latency = summarize(std::move(samples));
  result.extra["watchers"] = static_cast<double>(o.watchers);
  result.extra["delivered_before_ack"] = static_cast<double>(early);
  const Summary request = summarize(std::move(from_request));
  result.extra["from_request_p50_us"] = request.p50 * 1e6;
  result.extra["from_request_p99_us"] = request.p99 * 1e6;
  result.extra["from_request_max_us"] = request.max * 1e6;
  return result;
}

}  // namespace ferry::perf
