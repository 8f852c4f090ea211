#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace ferry::filters {

// One unit of a process-wide limited resource (an upstream connection, a
// pending or active request, a retry, an active fault), held for as long as
// the work that took it. Move-only; the destructor gives the unit back, so a
// request that ends by any path — success, error, cancellation, its
// connection closing — can never leak it.
//
// A default-constructed (or moved-from) slot holds nothing; `explicit
// operator bool` says whether the acquisition succeeded. The counter it
// points into belongs to a CircuitBreakers / RetryBudget / FaultInjector
// that must outlive every slot it handed out (the cluster or route snapshot
// that owns it is kept alive by the requests using it).
class ResourceSlot {
 public:
  ResourceSlot() = default;
  ResourceSlot(const ResourceSlot&) = delete;
  ResourceSlot& operator=(const ResourceSlot&) = delete;
  ResourceSlot(ResourceSlot&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
  ResourceSlot& operator=(ResourceSlot&& other) noexcept {
    if (this != &other) {
      release();
      counter_ = std::exchange(other.counter_, nullptr);
    }
    return *this;
  }
  ~ResourceSlot() { release(); }

  explicit operator bool() const { return counter_ != nullptr; }

  // Gives the unit back early (e.g. a pending request that got its
  // connection). Idempotent.
  void release() {
    if (counter_ != nullptr) {
      counter_->fetch_sub(1, std::memory_order_release);
      counter_ = nullptr;
    }
  }

  // Takes one unit from `counter` if fewer than `limit` are taken: one
  // compare-exchange in the common case, never a transient overshoot, so
  // the number of live slots never exceeds the limit, whatever the threads.
  // An empty slot means "over the limit".
  static ResourceSlot try_take(std::atomic<std::uint32_t>& counter, std::uint32_t limit) {
    std::uint32_t taken = counter.load(std::memory_order_relaxed);
    do {
      if (taken >= limit) {
        return ResourceSlot();
      }
    } while (!counter.compare_exchange_weak(taken, taken + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed));
    return ResourceSlot(&counter);
  }

 private:
  explicit ResourceSlot(std::atomic<std::uint32_t>* counter) : counter_(counter) {}
  std::atomic<std::uint32_t>* counter_ = nullptr;
};

}  // namespace ferry::filters
