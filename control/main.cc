// ferry-control: the registry of a ferry mesh (see control/README.md).
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "control/control_options.h"
#include "control/control_plane.h"
#include "control/control_server.h"
#include "control/etcd_store.h"
#include "control/sqlite_store.h"
#include "proxy/core/log.h"
#include "proxy/core/sigv4/credentials_file.h"

namespace {

namespace asio = boost::asio;
using namespace ferry;
using namespace ferry::control;

void write_address_file(const std::string& path, const core::SocketAddress& address) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address.to_string() << "\n";
  }
  std::filesystem::rename(tmp, path);
}

std::shared_ptr<const core::SigV4Verifier> load_verifier(const ControlConfig& config) {
  if (config.credentials_file.empty()) {
    std::cerr << "ferry-control: no --credentials given: requests are NOT authenticated; "
                 "serving on loopback only ("
              << config.listen.to_string() << ")\n";
    return nullptr;
  }
  std::string error;
  auto file = core::CredentialsFile::load(config.credentials_file, error);
  if (!file) {
    throw std::runtime_error(error);
  }
  spdlog::info("credentials: {} access key(s) from {}", file->profiles().size(),
               config.credentials_file);
  core::SigV4Verifier::Options options;
  options.region = config.plane.api.region;
  options.max_clock_skew = config.max_clock_skew;
  return std::make_shared<const core::SigV4Verifier>(
      std::make_shared<const core::CredentialsFile>(std::move(*file)), options);
}

std::unique_ptr<Store> open_store(const ControlConfig& config, asio::io_context& loop,
                                  Registry& registry, ControlPlane** plane) {
  LoopPost post = [&loop](std::function<void()> task) {
    asio::post(loop, std::move(task));
  };
  CommitSink sink = [&registry](std::vector<RecordChange> changes) {
    registry.apply(changes);
  };
  CommitObserver observer = [plane](std::chrono::nanoseconds d, std::size_t n) {
    if (*plane != nullptr) {
      (*plane)->metrics().commit(d, n);
    }
  };
  if (!config.data_dir.empty()) {
    SqliteStore::Options options;
    options.data_dir = config.data_dir;
    options.full_integrity_check = config.full_integrity_check;
    auto store = std::make_unique<SqliteStore>(options, post, sink, observer);
    registry.set_epoch(store->epoch());
    registry.apply(store->take_loaded());
    store->start();
    spdlog::info("store: sqlite {}/registry.db epoch={} records={}", config.data_dir,
                 store->epoch(), registry.state().dump().size());
    return store;
  }
  EtcdStore::Options options;
  options.endpoints = config.etcd_endpoints;
  options.prefix = config.etcd_prefix;
  options.request_timeout = config.etcd_timeout;
  auto store = std::make_unique<EtcdStore>(loop, options, registry, observer);
  store->start();
  spdlog::info("store: etcd {} prefix={}", fmt::join(config.etcd_endpoints, ","),
               config.etcd_prefix);
  return store;
}

int run(const ControlConfig& config) {
  asio::io_context loop(1);
  core::StatsRegistry stats(1);  // everything that counts runs on the loop
  Registry registry;
  ControlPlane* plane_ptr = nullptr;
  auto verifier = load_verifier(config);
  std::unique_ptr<Store> store = open_store(config, loop, registry, &plane_ptr);
  ControlOptions plane_options = config.plane;
  plane_options.shared_renewals = config.data_dir.empty();
  ControlPlane plane(loop, registry, *store, plane_options, stats);
  plane_ptr = &plane;
  plane.start();
  ControlServer server(loop, plane, verifier, stats, config.server);
  if (auto ec = server.listen(config.listen)) {
    throw std::runtime_error("cannot listen on " + config.listen.to_string() + ": " + ec.message());
  }
  const core::SocketAddress bound = server.local_address();
  if (!config.address_file.empty()) {
    write_address_file(config.address_file, bound);
  }
  spdlog::info("listening on {} (auth={}, instance_ttl={}s)", bound.to_string(),
               verifier ? "sigv4" : "none",
               std::chrono::duration<double>(config.plane.instance_ttl).count());

  asio::signal_set signals(loop, SIGTERM, SIGINT);
  asio::steady_timer drain_deadline(loop);
  bool stopping = false;
  auto finish = [&] {
    store->stop([&] { loop.stop(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec || stopping) {
      return;
    }
    stopping = true;
    spdlog::info("signal {}: draining (up to {} ms)", signal, config.drain_timeout.count());
    plane.drain();
    server.drain([&] {
      drain_deadline.cancel();
      finish();
    });
    drain_deadline.expires_after(config.drain_timeout);
    drain_deadline.async_wait([&](const boost::system::error_code& e) {
      if (!e) {
        spdlog::warn("drain timeout: closing the remaining connections");
        server.close();
        finish();
      }
    });
  });
  loop.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  auto parsed = ferry::control::parse_command_line(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const auto& config = std::get<ferry::control::ControlConfig>(parsed);
  ferry::core::init_logging("ferry-control", config.log_level);
  int code = 1;
  try {
    code = run(config);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    ferry::core::shutdown_logging();
    std::cerr << "ferry-control: " << e.what() << "\n";
    return 1;
  }
  ferry::core::shutdown_logging();
  return code;
}
