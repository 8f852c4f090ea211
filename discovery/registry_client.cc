#include "discovery/registry_client.h"

#include <algorithm>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "discovery/backoff.h"
#include "filters/prng.h"
#include "proxy/core/http1/message_client.h"
#include "proxy/core/sigv4/signer.h"

namespace ferry::discovery {
namespace http1 = core::http1;
namespace http = core::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kTargetPrefix = "Route53AutoNaming_v20170314.";
constexpr std::string_view kService = "servicediscovery";

std::chrono::milliseconds to_ms(core::Duration d) {
  return std::chrono::ceil<std::chrono::milliseconds>(std::max(d, core::Duration::zero()));
}

enum class Kind : std::size_t { Api = 0, Watch = 1 };

// A request before it is addressed and signed.
struct Draft {
  Kind kind = Kind::Api;
  http::Method method = http::Method::Post;
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // signed, besides host
  std::string body;
};

}  // namespace

struct RegistryClient::Impl : std::enable_shared_from_this<Impl> {
  struct Replica {
    std::string host;
    std::string port;
    std::string text;  // "host:port", the Host header and the name in logs
    std::optional<core::SocketAddress> literal;
    std::vector<core::SocketAddress> resolved;
    Clock::time_point resolved_at{};
    std::size_t next_address = 0;
  };
  struct Waiting {
    RequestId id;
    Draft draft;
  };
  struct CallState {
    std::string action;
    std::string body;
    CallPolicy policy;
    ReplyCallback callback;
    std::uint32_t attempts = 0;
    Clock::time_point deadline = Clock::time_point::max();
    FailoverPacer pacer;
    RequestId inner = 0;
    Scheduler::TimerId timer = 0;
  };

  Impl(boost::asio::io_context& context, Scheduler& sched, RegistryClientOptions opts,
       CredentialsSource creds, std::uint64_t seed)
      : io(context),
        scheduler(sched),
        options(std::move(opts)),
        credentials(std::move(creds)),
        resolver(context),
        prng(seed) {
    for (const core::HostPort& hp : options.addresses) {
      Replica r;
      r.host = hp.host;
      r.port = std::to_string(hp.port);
      const bool v6 = hp.host.find(':') != std::string::npos;
      const std::string bracketed = v6 ? "[" + hp.host + "]" : hp.host;
      r.text = bracketed + ":" + r.port;
      r.literal = core::SocketAddress::parse(r.text);
      replicas.push_back(std::move(r));
    }
  }

  http1::MessageClientOptions client_options(Kind kind) const {
    http1::MessageClientOptions o;
    o.connect_timeout = to_ms(options.request_timeout);
    o.request_timeout = to_ms(kind == Kind::Watch ? options.watch_timeout + options.request_timeout
                                                  : options.request_timeout);
    o.max_response_body = options.max_response_bytes;
    o.host = replicas.empty() ? std::string() : replicas[current].text;
    return o;
  }

  void dispatch(RequestId id, Draft draft) {
    if (replicas.empty()) {
      RegistryReply reply;
      reply.transport = boost::asio::error::host_not_found;
      return post_reply(id, std::move(reply));
    }
    if (!target) {
      waiting.push_back({id, std::move(draft)});
      ensure_target();
      return;
    }
    send_now(id, std::move(draft));
  }

  void ensure_target() {
    if (resolving || target) {
      return;
    }
    Replica& r = replicas[current];
    if (r.literal) {
      return set_target(*r.literal);
    }
    if (!r.resolved.empty() && scheduler.now() - r.resolved_at < options.dns_refresh) {
      return set_target(r.resolved[r.next_address % r.resolved.size()]);
    }
    resolving = true;
    const std::uint64_t gen = generation;
    resolver.async_resolve(
        r.host, r.port,
        [weak = weak_from_this(), gen](const boost::system::error_code& ec,
                                       boost::asio::ip::tcp::resolver::results_type results) {
          if (auto self = weak.lock()) {
            self->on_resolved(gen, ec, results);
          }
        });
  }

  void on_resolved(std::uint64_t gen, boost::system::error_code ec,
                   const boost::asio::ip::tcp::resolver::results_type& results) {
    resolving = false;
    if (gen != generation) {
      return ensure_target();  // moved on meanwhile; resolve the new replica
    }
    Replica& r = replicas[current];
    std::vector<core::SocketAddress> addresses;
    for (const auto& entry : results) {
      const auto endpoint = entry.endpoint();
      if (auto a = core::SocketAddress::from_sockaddr(endpoint.data(),
                                                      static_cast<socklen_t>(endpoint.size()))) {
        if (std::find(addresses.begin(), addresses.end(), *a) == addresses.end()) {
          addresses.push_back(*a);
        }
      }
    }
    if (ec || addresses.empty()) {
      RegistryReply reply;
      reply.transport = ec ? ec : boost::asio::error::host_not_found;
      reply.replica = r.text;
      ++stats.failures;
      auto failed = std::move(waiting);
      waiting.clear();
      fail_over(gen);
      for (Waiting& w : failed) {
        deliver(w.id, reply);
      }
      return;
    }
    r.resolved = std::move(addresses);
    r.resolved_at = scheduler.now();
    set_target(r.resolved[r.next_address % r.resolved.size()]);
  }

  void set_target(const core::SocketAddress& address) {
    target = address;
    auto ready = std::move(waiting);
    waiting.clear();
    for (Waiting& w : ready) {
      send_now(w.id, std::move(w.draft));
    }
  }

  http1::MessageClient& pick(Kind kind) {
    auto& pool = pools[static_cast<std::size_t>(kind)];
    for (auto& c : pool) {
      if (c->pending() == 0) {
        return *c;
      }
    }
    // A watch holds its connection while parked, so watches never queue
    // behind each other: one connection per watch (one per followed
    // namespace). API calls share up to max_connections.
    if (kind == Kind::Watch || pool.size() < std::max<std::size_t>(1, options.max_connections)) {
      pool.push_back(std::make_unique<http1::MessageClient>(io, *target, client_options(kind)));
      return *pool.back();
    }
    return **std::min_element(pool.begin(), pool.end(), [](const auto& a, const auto& b) {
      return a->pending() < b->pending();
    });
  }

  void send_now(RequestId id, Draft draft) {
    const Replica& r = replicas[current];
    http1::ClientRequest request;
    request.method = draft.method;
    request.target = draft.query.empty() ? draft.path : draft.path + "?" + draft.query;
    request.body = std::move(draft.body);
    request.headers.add("host", r.text);
    for (const auto& [name, value] : draft.headers) {
      request.headers.add(name, value);
    }
    sign(request, draft);
    ++stats.requests;
    const std::uint64_t gen = generation;
    pick(draft.kind)
        .request(std::move(request), [weak = weak_from_this(), id, gen, replica = r.text](
                                         boost::system::error_code ec, http1::Response response) {
          if (auto self = weak.lock()) {
            self->on_response(id, gen, replica, ec, std::move(response));
          }
        });
  }

  void sign(http1::ClientRequest& request, const Draft& draft) {
    const core::AwsCredentials* key = credentials.current();
    if (key == nullptr) {
      return;
    }
    std::vector<core::HeaderField> fields;
    for (const auto& field : request.headers) {
      fields.push_back({field.name, field.value});
    }
    const core::SigningInput input{http::method_name(draft.method), draft.path, draft.query, fields,
                                   request.body};
    const core::SigV4Headers signed_headers =
        core::sign_request(input, *key, options.region, kService, scheduler.wall_now());
    request.headers.add("x-amz-date", signed_headers.amz_date);
    if (!signed_headers.security_token.empty()) {
      request.headers.add("x-amz-security-token", signed_headers.security_token);
    }
    request.headers.add("authorization", signed_headers.authorization);
  }

  void on_response(RequestId id, std::uint64_t gen, const std::string& replica,
                   boost::system::error_code ec, http1::Response response) {
    RegistryReply reply;
    reply.replica = replica;
    reply.transport = ec;
    if (!ec) {
      reply.status = response.status;
      reply.body = std::move(response.body);
      if (reply.status >= 400) {
        reply.read_error_body();
      }
    }
    if (reply.retryable() && ec != boost::asio::error::operation_aborted) {
      ++stats.failures;
      fail_over(gen);
    }
    prune_retired();
    deliver(id, std::move(reply));
  }

  // Moves to the next address or replica unless another failure already did
  // since the request started.
  void fail_over(std::uint64_t gen) {
    if (gen != generation) {
      return;
    }
    ++generation;
    ++stats.failovers;
    Replica& r = replicas[current];
    if (!r.literal && r.next_address + 1 < r.resolved.size()) {
      ++r.next_address;
    } else {
      r.next_address = 0;
      r.resolved_at = {};  // resolve it again when its turn comes back
      current = (current + 1) % replicas.size();
    }
    target.reset();
    // Requests in flight on the old connections finish there; the pools
    // start afresh on the new target.
    for (auto& pool : pools) {
      for (auto& c : pool) {
        retired.push_back(std::move(c));
      }
      pool.clear();
    }
    prune_retired();
    if (!waiting.empty()) {
      ensure_target();
    }
  }

  void prune_retired() {
    std::erase_if(retired, [](const auto& c) { return c->pending() == 0; });
  }

  void deliver(RequestId id, RegistryReply reply) {
    auto it = callbacks.find(id);
    if (it == callbacks.end()) {
      return;
    }
    ReplyCallback callback = std::move(it->second);
    callbacks.erase(it);
    callback(std::move(reply));
  }

  void post_reply(RequestId id, RegistryReply reply) {
    scheduler.schedule(core::Duration::zero(),
                       [weak = weak_from_this(), id, r = std::move(reply)]() mutable {
                         if (auto self = weak.lock()) {
                           self->deliver(id, std::move(r));
                         }
                       });
  }

  // --- call() ---

  void attempt(RequestId id) {
    auto it = calls.find(id);
    if (it == calls.end()) {
      return;
    }
    CallState& st = *it->second;
    st.timer = 0;
    ++st.attempts;
    st.inner = next_id++;
    callbacks.emplace(st.inner, [weak = weak_from_this(), id](RegistryReply reply) {
      if (auto self = weak.lock()) {
        self->on_call_reply(id, std::move(reply));
      }
    });
    Draft draft;
    draft.headers = {{"content-type", "application/x-amz-json-1.1"},
                     {"x-amz-target", std::string(kTargetPrefix) + st.action}};
    draft.body = st.body;
    dispatch(st.inner, std::move(draft));
  }

  void on_call_reply(RequestId id, RegistryReply reply) {
    auto it = calls.find(id);
    if (it == calls.end()) {
      return;
    }
    auto st = it->second;
    st->inner = 0;
    const bool exhausted = st->policy.max_attempts != 0 && st->attempts >= st->policy.max_attempts;
    if (reply.ok() || !reply.retryable() || exhausted) {
      return finish_call(id, std::move(reply));
    }
    const core::Duration delay = st->policy.backoff ? st->pacer.on_failure() : core::Duration{};
    if (scheduler.now() + delay > st->deadline) {
      return finish_call(id, std::move(reply));
    }
    st->timer = scheduler.schedule(delay, [weak = weak_from_this(), id] {
      if (auto self = weak.lock()) {
        self->attempt(id);
      }
    });
  }

  void finish_call(RequestId id, RegistryReply reply) {
    auto it = calls.find(id);
    ReplyCallback callback = std::move(it->second->callback);
    calls.erase(it);
    callback(std::move(reply));
  }

  void cancel(RequestId id) {
    if (auto it = calls.find(id); it != calls.end()) {
      callbacks.erase(it->second->inner);
      if (it->second->timer != 0) {
        scheduler.cancel(it->second->timer);
      }
      calls.erase(it);
      return;
    }
    callbacks.erase(id);
  }

  boost::asio::io_context& io;
  Scheduler& scheduler;
  RegistryClientOptions options;
  CredentialsSource credentials;
  boost::asio::ip::tcp::resolver resolver;
  filters::Prng prng;
  std::vector<Replica> replicas;
  std::size_t current = 0;
  std::uint64_t generation = 0;
  std::optional<core::SocketAddress> target;
  bool resolving = false;
  std::vector<Waiting> waiting;
  std::vector<std::unique_ptr<http1::MessageClient>> pools[2];
  std::vector<std::unique_ptr<http1::MessageClient>> retired;
  RequestId next_id = 1;
  std::map<RequestId, ReplyCallback> callbacks;
  std::map<RequestId, std::shared_ptr<CallState>> calls;
  RegistryClientStats stats;
};

RegistryClient::RegistryClient(boost::asio::io_context& io, Scheduler& scheduler,
                               RegistryClientOptions options, CredentialsSource credentials,
                               std::uint64_t seed)
    : impl_(std::make_shared<Impl>(io, scheduler, std::move(options), std::move(credentials),
                                   seed)) {}

RegistryClient::~RegistryClient() {
  impl_->callbacks.clear();
  for (auto& [id, st] : impl_->calls) {
    if (st->timer != 0) {
      impl_->scheduler.cancel(st->timer);
    }
  }
  impl_->calls.clear();
  impl_->resolver.cancel();
}

RegistryClient::RequestId RegistryClient::send(std::string_view action, std::string body,
                                               ReplyCallback callback) {
  const RequestId id = impl_->next_id++;
  impl_->callbacks.emplace(id, std::move(callback));
  Draft draft;
  draft.headers = {{"content-type", "application/x-amz-json-1.1"},
                   {"x-amz-target", std::string(kTargetPrefix) + std::string(action)}};
  draft.body = std::move(body);
  impl_->dispatch(id, std::move(draft));
  return id;
}

RegistryClient::RequestId RegistryClient::watch(std::string_view namespace_name,
                                                std::string_view epoch,
                                                std::optional<std::int64_t> version,
                                                ReplyCallback callback) {
  const RequestId id = impl_->next_id++;
  impl_->callbacks.emplace(id, std::move(callback));
  Draft draft;
  draft.kind = Kind::Watch;
  draft.method = http::Method::Get;
  draft.path = "/v1/watch";
  draft.query = "namespace=" + core::aws_uri_encode(namespace_name, false);
  if (!epoch.empty()) {
    draft.query += "&epoch=" + core::aws_uri_encode(epoch, false);
  }
  if (version) {
    draft.query += "&version=" + std::to_string(*version);
  }
  draft.query += "&timeout=" + core::format_duration(impl_->options.watch_timeout);
  impl_->dispatch(id, std::move(draft));
  return id;
}

RegistryClient::RequestId RegistryClient::call(std::string action, std::string body,
                                               CallPolicy policy, ReplyCallback callback) {
  const RequestId id = impl_->next_id++;
  auto st = std::make_shared<Impl::CallState>(Impl::CallState{
      std::move(action), std::move(body), policy, std::move(callback), 0, Clock::time_point::max(),
      FailoverPacer(impl_->options.backoff, impl_->prng.next(), impl_->replicas.size()), 0, 0});
  if (policy.deadline > core::Duration::zero()) {
    st->deadline = impl_->scheduler.now() + policy.deadline;
  }
  impl_->calls.emplace(id, std::move(st));
  impl_->attempt(id);
  return id;
}

void RegistryClient::cancel(RequestId id) {
  impl_->cancel(id);
}

std::string RegistryClient::current_replica() const {
  return impl_->replicas.empty() ? std::string() : impl_->replicas[impl_->current].text;
}

std::size_t RegistryClient::replica_count() const {
  return impl_->replicas.size();
}

const RegistryClientStats& RegistryClient::stats() const {
  return impl_->stats;
}

}  // namespace ferry::discovery
