#include "control/etcd_client.h"

#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/json.hpp>

#include "proxy/core/http1/message_client.h"

namespace ferry::control {
namespace json = boost::json;
namespace http1 = core::http1;
namespace http = core::http;

namespace {
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < bytes.size()) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) {
      n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    }
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

boost::json::object etcd_put_op(const std::string& key, std::string_view value) {
  return {{"request_put",
           boost::json::object{{"key", base64_encode(key)}, {"value", base64_encode(value)}}}};
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) {
      return std::nullopt;  // data after padding
    }
    const std::size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if (padding > 2) {
    return std::nullopt;
  }
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::int64_t json_int64(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_string()) {
    try {
      return std::stoll(std::string(v->get_string()));
    } catch (const std::exception&) {
      return 0;
    }
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return 0;
}

EtcdClient::EtcdClient(boost::asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)) {
  for (const std::string& e : options_.endpoints) {
    auto address = core::SocketAddress::parse(e);
    if (!address) {
      throw std::invalid_argument("etcd endpoint '" + e +
                                  "' must be an IP:PORT literal (e.g. 127.0.0.1:2379)");
    }
    endpoints_.push_back(*address);
  }
  if (endpoints_.empty()) {
    throw std::invalid_argument("no etcd endpoint");
  }
  switch_endpoint(endpoints_.size() - 1);
}

EtcdClient::~EtcdClient() {
  close();
}

void EtcdClient::switch_endpoint(std::size_t failed) {
  if (failed != current_ && !pool_.empty()) {
    return;  // another call already moved on
  }
  current_ = (failed + 1) % endpoints_.size();
  for (auto& client : pool_) {
    client->close();
  }
  pool_.clear();
  http1::MessageClientOptions options;
  options.connect_timeout = options_.timeout;
  options.request_timeout = options_.timeout;
  options.max_response_body = 64 * 1024 * 1024;  // a listing page of large records
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.connections); ++i) {
    pool_.push_back(std::make_unique<http1::MessageClient>(io_, endpoints_[current_], options));
  }
}

void EtcdClient::call(std::string_view path, const json::object& body, Callback callback) {
  if (closed_) {
    EtcdReply reply;
    reply.ec = boost::asio::error::operation_aborted;
    callback(std::move(reply));
    return;
  }
  http1::MessageClient* least = pool_.front().get();
  for (const auto& client : pool_) {
    if (client->pending() < least->pending()) {
      least = client.get();
    }
  }
  http1::ClientRequest request;
  request.method = http::Method::Post;
  request.target = "/v3/" + std::string(path);
  request.headers.add("content-type", "application/json");
  request.body = json::serialize(body);
  const std::size_t endpoint = current_;
  std::weak_ptr<int> alive = alive_;
  least->request(std::move(request), [this, alive, endpoint, callback = std::move(callback)](
                                         boost::system::error_code ec, http1::Response response) {
    EtcdReply reply;
    reply.ec = ec;
    if (ec) {
      // The client may be gone (its connections' callbacks are posted).
      if (!alive.expired() && !closed_ && ec != boost::asio::error::operation_aborted) {
        switch_endpoint(endpoint);
      }
      callback(std::move(reply));
      return;
    }
    reply.status = response.status;
    std::error_code parse_error;
    json::value parsed = json::parse(response.body, parse_error);
    if (!parse_error && parsed.is_object()) {
      reply.body = std::move(parsed.get_object());
    }
    if (reply.status != 200) {
      const json::value* message = reply.body.if_contains("message");
      reply.error = message != nullptr && message->is_string()
                        ? std::string(message->get_string())
                        : "HTTP " + std::to_string(reply.status);
    }
    callback(std::move(reply));
  });
}

void EtcdClient::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  for (auto& client : pool_) {
    client->close();
  }
}

}  // namespace ferry::control
