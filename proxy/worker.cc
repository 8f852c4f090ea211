#include "proxy/worker.h"

#include <boost/asio/post.hpp>

#include "proxy/acceptor.h"
#include "proxy/connection_set.h"
#include "proxy/core/stats.h"
#include "proxy/http/upstream_pool.h"
#include "proxy/snapshot.h"

namespace ferry::proxy {

namespace {
constexpr std::size_t kMaxFreeBuffers = 256;
}  // namespace

Worker::Worker(unsigned index, std::size_t buffer_size)
    : index_(index),
      buffers_(buffer_size, kMaxFreeBuffers),
      connections_(std::make_unique<ConnectionSet>()),
      prng_(filters::Prng::entropy_seed()),
      pools_(std::make_unique<UpstreamPools>(*this)) {}

Worker::~Worker() {
  stop();
  // Acceptors and pooled connections go before the loop that owns their
  // handlers (those still referenced by a handler go with the loop).
  acceptors_.clear();
  pools_.reset();
}

void Worker::set_snapshot(std::shared_ptr<const RuntimeSnapshot> snapshot) {
  snapshot_ = std::move(snapshot);
  std::vector<const filters::Host*> live;
  for (const auto& cluster : snapshot_->clusters()) {
    for (const auto& host : cluster->hosts()) {
      live.push_back(host.get());
    }
  }
  pools_->prune(live);
}

void Worker::add_acceptor(const std::string& listener, std::shared_ptr<Acceptor> acceptor) {
  acceptors_[listener] = std::move(acceptor);
}

std::shared_ptr<Acceptor> Worker::take_acceptor(const std::string& listener) {
  auto it = acceptors_.find(listener);
  if (it == acceptors_.end()) {
    return nullptr;
  }
  auto acceptor = std::move(it->second);
  acceptors_.erase(it);
  return acceptor;
}

std::shared_ptr<Acceptor> Worker::acceptor(const std::string& listener) const {
  auto it = acceptors_.find(listener);
  return it == acceptors_.end() ? nullptr : it->second;
}

void Worker::start() {
  work_ = std::make_unique<decltype(work_)::element_type>(context_.get_executor());
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  core::set_stats_shard(index_ + 1);
  context_.run();
}

void Worker::stop() {
  if (!thread_.joinable()) {
    return;
  }
  work_.reset();
  context_.stop();
  thread_.join();
}

void Worker::post(std::function<void()> fn) {
  boost::asio::post(context_, std::move(fn));
}

}  // namespace ferry::proxy
