#include "perf/registry_bench/signed_client.h"

#include <algorithm>

namespace ferry::perf {
namespace http1 = core::http1;

SignedClient::SignedClient(boost::asio::io_context& io, const core::SocketAddress& address,
                           core::AwsCredentials credentials, std::string region)
    : host_(address.to_string()),
      signer_(std::move(credentials), std::move(region), "servicediscovery") {
  http1::MessageClientOptions options;
  options.request_timeout = std::chrono::seconds(120);  // long-polls included
  options.max_response_body = 64 * 1024 * 1024;
  client_ = std::make_unique<http1::MessageClient>(io, address, options);
}

void SignedClient::call(const std::string& action, std::string body, Callback callback) {
  http1::ClientRequest request;
  request.method = core::http::Method::Post;
  request.target = "/";
  request.headers.add("content-type", "application/x-amz-json-1.1");
  request.headers.add("x-amz-target", "Route53AutoNaming_v20170314." + action);
  request.body = std::move(body);
  send(std::move(request), "/", "", std::move(callback));
}

void SignedClient::get(const std::string& target, Callback callback) {
  http1::ClientRequest request;
  request.method = core::http::Method::Get;
  request.target = target;
  const std::size_t q = target.find('?');
  send(std::move(request), target.substr(0, q),
       q == std::string::npos ? std::string() : target.substr(q + 1), std::move(callback));
}

void SignedClient::send(http1::ClientRequest request, const std::string& path,
                        const std::string& query, Callback callback) {
  request.headers.add("host", host_);
  std::vector<core::HeaderField> fields;
  for (const auto& [name, value] : request.headers) {
    fields.push_back({name, value});
  }
  const core::SigV4Headers signature =
      signer_.sign({core::http::method_name(request.method), path, query, fields, request.body},
                   std::chrono::system_clock::now());
  request.headers.add("authorization", signature.authorization);
  request.headers.add("x-amz-date", signature.amz_date);
  client_->request(std::move(request), [callback = std::move(callback)](
                                           boost::system::error_code ec, http1::Response r) {
    callback(ec, r.status, std::move(r.body));
  });
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) {
    return s;
  }
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    return samples[i];
  };
  s.p50 = at(0.5);
  s.p90 = at(0.9);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  s.max = samples.back();
  return s;
}

}  // namespace ferry::perf
