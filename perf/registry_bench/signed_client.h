#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

#include "proxy/core/address.h"
#include "proxy/core/http1/message_client.h"
#include "proxy/core/sigv4/signer.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::perf {

// One kept-alive connection to ferry-control that signs every request with
// SigV4, as the AWS SDKs do. Runs on the bench's io_context thread.
class SignedClient {
 public:
  using Callback = std::function<void(boost::system::error_code, int status, std::string body)>;

  SignedClient(boost::asio::io_context& io, const core::SocketAddress& address,
               core::AwsCredentials credentials, std::string region);

  // POST / with X-Amz-Target: Route53AutoNaming_v20170314.<action>.
  void call(const std::string& action, std::string body, Callback callback);
  // A signed GET (the watch API); `target` is path and query.
  void get(const std::string& target, Callback callback);

 private:
  void send(core::http1::ClientRequest request, const std::string& path, const std::string& query,
            Callback callback);

  std::string host_;
  core::RequestSigner signer_;
  std::unique_ptr<core::http1::MessageClient> client_;
};

// Percentiles of latency samples, in seconds.
struct Summary {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
Summary summarize(std::vector<double> samples);

}  // namespace ferry::perf
