#include "proxy/worker.h"

#include <boost/asio/post.hpp>

#include "proxy/connection_set.h"
#include "proxy/core/stats.h"
#include "proxy/snapshot.h"

namespace ferry::proxy {

namespace {
constexpr std::size_t kMaxFreeBuffers = 256;
}  // namespace

Worker::Worker(unsigned index, std::size_t buffer_size)
    : index_(index),
      buffers_(buffer_size, kMaxFreeBuffers),
      connections_(std::make_unique<ConnectionSet>()) {}

Worker::~Worker() {
  stop();
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
