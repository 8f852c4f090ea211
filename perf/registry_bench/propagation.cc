// bench_propagation of benchmarks.h.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "perf/registry_bench/benchmarks.h"

namespace ferry::perf {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

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

// One run: a writer re-registers instance "p" with seq = 1, 2, ... waiting
// for every watcher to see each before the next; every watcher long-polls.
class PropagationRun {
 public:
  PropagationRun(boost::asio::io_context& io, const BenchOptions& o)
      : io_(io), options_(o), writer_(io, o.endpoint, o.credentials, o.region) {}

  BenchResult run();

 private:
  struct Watcher {
    std::unique_ptr<SignedClient> client;
    std::string epoch;
    std::int64_t version = 0;
    std::int64_t seen = 0;  // highest seq observed
  };

  json::value call(const std::string& action, const json::object& body);
  void setup();
  void poll(std::size_t w);
  void on_snapshot(Watcher& watcher, const std::string& body, Clock::time_point now);
  void change(std::int64_t k);

  boost::asio::io_context& io_;
  const BenchOptions& options_;
  SignedClient writer_;
  std::string ns_name_;
  std::string service_id_;
  std::vector<Watcher> watchers_;
  std::map<std::int64_t, Clock::time_point> sent_;
  std::map<std::int64_t, Clock::time_point> acked_;
  std::vector<double> from_ack_;      // 0 when delivered before the writer had its 2xx
  std::vector<double> from_request_;  // from the moment the registration was sent
  std::size_t early_ = 0;
  std::size_t errors_ = 0;
};

json::value PropagationRun::call(const std::string& action, const json::object& body) {
  json::value out;
  bool done = false;
  bool ok = false;
  writer_.call(action, json::serialize(body),
               [&](boost::system::error_code ec, int status, std::string text) {
                 done = true;
                 ok = !ec && status == 200;
                 if (ok && !text.empty()) {
                   out = json::parse(text);
                 }
               });
  while (!done) {
    io_.run_one();
  }
  if (!ok) {
    throw std::runtime_error(action + " failed");
  }
  return out;
}

void PropagationRun::setup() {
  ns_name_ =
      "bench-watch-" + std::to_string(Clock::now().time_since_epoch().count() % 1000000) + ".local";
  const auto op = call("CreateHttpNamespace", {{"Name", ns_name_}});
  const auto got = call("GetOperation", {{"OperationId", op.at("OperationId")}});
  const std::string ns_id(got.at("Operation").at("Targets").at("NAMESPACE").as_string());
  service_id_ = std::string(call("CreateService", {{"Name", "svc"}, {"NamespaceId", ns_id}})
                                .at("Service")
                                .at("Id")
                                .as_string());
}

void PropagationRun::poll(std::size_t w) {
  Watcher& watcher = watchers_[w];
  std::string target = "/v1/watch?namespace=" + ns_name_ + "&timeout=30s";
  if (!watcher.epoch.empty()) {
    target += "&epoch=" + watcher.epoch + "&version=" + std::to_string(watcher.version);
  }
  watcher.client->get(target,
                      [this, w](boost::system::error_code ec, int status, std::string body) {
                        const auto now = Clock::now();
                        if (ec) {
                          ++errors_;
                          return;
                        }
                        if (status == 200) {
                          on_snapshot(watchers_[w], body, now);
                        }
                        poll(w);
                      });
}

void PropagationRun::on_snapshot(Watcher& watcher, const std::string& body, Clock::time_point now) {
  const json::value snapshot = json::parse(body);
  watcher.epoch = std::string(snapshot.at("epoch").as_string());
  watcher.version = snapshot.at("version").as_int64();
  const std::int64_t seq = seq_of(snapshot);
  for (std::int64_t s = watcher.seen + 1; s <= seq; ++s) {
    if (auto request = sent_.find(s); request != sent_.end()) {
      from_request_.push_back(std::chrono::duration<double>(now - request->second).count());
    }
    auto ack = acked_.find(s);
    if (ack == acked_.end()) {
      ++early_;
      from_ack_.push_back(0);
    } else {
      from_ack_.push_back(std::chrono::duration<double>(now - ack->second).count());
    }
  }
  watcher.seen = std::max(watcher.seen, seq);
}

void PropagationRun::change(std::int64_t k) {
  bool done = false;
  sent_[k] = Clock::now();
  const json::object attributes{{"AWS_INSTANCE_IPV4", "10.8.0.1"}, {"seq", std::to_string(k)}};
  writer_.call("RegisterInstance",
               json::serialize(json::object{
                   {"ServiceId", service_id_}, {"InstanceId", "p"}, {"Attributes", attributes}}),
               [&, k](boost::system::error_code ec, int status, std::string) {
                 acked_[k] = Clock::now();
                 done = true;
                 errors_ += (ec || status != 200) ? 1 : 0;
               });
  auto all_seen = [&] {
    return std::all_of(watchers_.begin(), watchers_.end(),
                       [k](const Watcher& w) { return w.seen >= k; });
  };
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while ((!done || !all_seen()) && Clock::now() < deadline) {
    io_.run_one_for(std::chrono::milliseconds(50));
  }
}

BenchResult PropagationRun::run() {
  setup();
  watchers_.resize(options_.watchers);
  for (std::size_t w = 0; w < watchers_.size(); ++w) {
    watchers_[w].client = std::make_unique<SignedClient>(io_, options_.endpoint,
                                                         options_.credentials, options_.region);
    poll(w);
  }
  const auto start = Clock::now();
  for (std::int64_t k = 1; k <= static_cast<std::int64_t>(options_.changes); ++k) {
    change(k);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  BenchResult result{
      "propagation", static_cast<double>(options_.changes) / elapsed, {}, errors_, {}};
  result.latency = summarize(std::move(from_ack_));
  result.extra["watchers"] = static_cast<double>(options_.watchers);
  result.extra["delivered_before_ack"] = static_cast<double>(early_);
  const Summary request = summarize(std::move(from_request_));
  result.extra["from_request_p50_us"] = request.p50 * 1e6;
  result.extra["from_request_p99_us"] = request.p99 * 1e6;
  result.extra["from_request_max_us"] = request.max * 1e6;
  return result;
}

}  // namespace

BenchResult bench_propagation(boost::asio::io_context& io, const BenchOptions& o) {
  PropagationRun run(io, o);
  return run.run();
}

}  // namespace ferry::perf
