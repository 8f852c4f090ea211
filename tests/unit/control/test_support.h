#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "control/api.h"
#include "control/registry.h"
#include "control/sqlite_store.h"

namespace ferry::control::testing {

// A fresh directory under the test temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("ferry-control-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The loop thread of a test: the test thread itself, running the io_context
// until a condition holds (bounded by a deadline, never a sleep).
class Loop {
 public:
  LoopPost post() {
    return [this](std::function<void()> task) {
      boost::asio::post(io_, std::move(task));
    };
  }
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
};

// A registry backed by a real SqliteStore in a temp dir, driven through the
// Api with a loop on the test thread.
class Harness {
 public:
  explicit Harness(const std::string& data_dir, ApiConfig config = {},
                   SqliteStore::Options options = {})
      : data_dir_(data_dir) {
    options.data_dir = data_dir;
    store_ = std::make_unique<SqliteStore>(
        options, loop_.post(), [this](std::vector<RecordChange> c) { registry_.apply(c); },
        [this](std::chrono::nanoseconds, std::size_t n) { batches_.push_back(n); });
    registry_.set_epoch(store_->epoch());
    registry_.apply(store_->take_loaded());
    store_->start();
    api_ = std::make_unique<Api>(
        config, registry_, *store_,
        [this](const std::string& s, const std::string& i) { renewals_.emplace_back(s, i); });
  }
  ~Harness() {
    bool stopped = false;
    store_->stop([&] { stopped = true; });
    loop_.run_until([&] { return stopped; });
  }

  // Calls one action and waits for its reply.
  ApiReply call(std::string_view action, const boost::json::object& body) {
    return call_raw(action, boost::json::serialize(body));
  }
  ApiReply call_raw(std::string_view action, std::string_view body) {
    std::optional<ApiReply> reply;
    api_->handle(action, body, {}, [&](ApiReply r) { reply = std::move(r); });
    EXPECT_TRUE(loop_.run_until([&] { return reply.has_value(); })) << action;
    return reply.value_or(ApiReply{0, {}, "timeout"});
  }
  // The parsed body of a successful call (fails the test otherwise).
  boost::json::object ok(std::string_view action, const boost::json::object& body) {
    ApiReply r = call(action, body);
    EXPECT_EQ(r.status, 200) << action << ": " << r.body;
    if (r.status != 200 || r.body.empty()) {
      return {};
    }
    return boost::json::parse(r.body).as_object();
  }
  // The error code of a failed call.
  std::string error(std::string_view action, const boost::json::object& body, int status = 400) {
    ApiReply r = call(action, body);
    EXPECT_EQ(r.status, status) << action << ": " << r.body;
    return r.error_code;
  }

  std::string create_namespace(const std::string& name) {
    auto op = ok("CreateHttpNamespace", {{"Name", name}});
    auto got = ok("GetOperation", {{"OperationId", op["OperationId"]}});
    return std::string(got["Operation"].at("Targets").at("NAMESPACE").as_string());
  }
  std::string create_service(const std::string& ns, const std::string& name,
                             bool custom_health = false) {
    boost::json::object body{{"Name", name}, {"NamespaceId", ns}};
    if (custom_health) {
      body["HealthCheckCustomConfig"] = boost::json::object{};
    }
    auto out = ok("CreateService", body);
    return std::string(out["Service"].at("Id").as_string());
  }
  void register_instance(const std::string& service, const std::string& id,
                         boost::json::object attributes = {}) {
    ok("RegisterInstance",
       {{"ServiceId", service}, {"InstanceId", id}, {"Attributes", std::move(attributes)}});
  }

  Loop& loop() { return loop_; }
  Registry& registry() { return registry_; }
  SqliteStore& store() { return *store_; }
  Api& api() { return *api_; }
  const std::vector<std::size_t>& batches() const { return batches_; }
  const std::vector<std::pair<std::string, std::string>>& renewals() const { return renewals_; }

 private:
  std::string data_dir_;
  Loop loop_;
  Registry registry_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
  std::vector<std::size_t> batches_;
  std::vector<std::pair<std::string, std::string>> renewals_;
};

}  // namespace ferry::control::testing
