#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace ferry::proxy {

// Fixed-size byte buffers recycled on one worker thread. A connection holds a
// buffer only while bytes are in transit, so idle connections cost none.
// Single-threaded by design: every buffer goes back to the pool of the worker
// that handed it out, and the pool outlives every connection of its worker.
class BufferPool {
 public:
  class Buffer {
   public:
    Buffer() = default;
    Buffer(Buffer&& other) noexcept : pool_(other.pool_), data_(other.data_) {
      other.data_ = nullptr;
    }
    Buffer& operator=(Buffer&& other) noexcept {
      if (this != &other) {
        reset();
        pool_ = other.pool_;
        data_ = other.data_;
        other.data_ = nullptr;
      }
      return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { reset(); }

    char* data() const { return data_; }
    std::size_t size() const { return pool_ != nullptr ? pool_->buffer_size_ : 0; }
    explicit operator bool() const { return data_ != nullptr; }
    void reset() {
      if (data_ != nullptr) {
        pool_->give_back(data_);
        data_ = nullptr;
      }
    }

   private:
    friend class BufferPool;
    Buffer(BufferPool* pool, char* data) : pool_(pool), data_(data) {}
    BufferPool* pool_ = nullptr;
    char* data_ = nullptr;
  };

  // `max_free` bounds the memory kept around after a burst.
  BufferPool(std::size_t buffer_size, std::size_t max_free)
      : buffer_size_(buffer_size), max_free_(max_free) {}
  ~BufferPool() {
    for (char* p : free_) {
      delete[] p;
    }
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  Buffer acquire() {
    if (free_.empty()) {
      return Buffer(this, new char[buffer_size_]);
    }
    char* p = free_.back();
    free_.pop_back();
    return Buffer(this, p);
  }

  std::size_t buffer_size() const { return buffer_size_; }
  std::size_t free_count() const { return free_.size(); }

 private:
  void give_back(char* p) {
    if (free_.size() < max_free_) {
      free_.push_back(p);
    } else {
      delete[] p;
    }
  }

  const std::size_t buffer_size_;
  const std::size_t max_free_;
  std::vector<char*> free_;
};

}  // namespace ferry::proxy
