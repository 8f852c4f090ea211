#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::proxy {

// Bytes on their way to a socket, double-buffered: while an asynchronous
// write holds a pointer into the bytes being written, new bytes go to a
// second buffer, so appending never moves memory under a pending write.
// Both strings keep their capacity across requests (no allocation in steady
// state). One connection, one thread.
class OutputBuffer {
 public:
  // Where serializers append. Never the bytes a pending write points into.
  std::string& sink() { return writing_ ? next_ : current_; }

  // Bytes not yet handed to the kernel.
  std::size_t pending() const { return current_.size() - begin_ + next_.size(); }
  bool empty() const { return pending() == 0; }

  // The bytes to write now (valid until consume() or the end of the write).
  std::string_view front() const { return std::string_view(current_).substr(begin_); }
  // `n` bytes of front() went out.
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == current_.size()) {
      current_.clear();
      begin_ = 0;
      if (!writing_) {
        current_.swap(next_);
      }
    }
  }

  // An asynchronous write of front() is in flight / has completed. On
  // completion the bytes appended meanwhile become the front.
  void begin_async() { writing_ = true; }
  void end_async() {
    writing_ = false;
    if (begin_ == current_.size()) {
      current_.clear();
      begin_ = 0;
      current_.swap(next_);
    }
  }
  bool writing() const { return writing_; }

  // Drops everything (the connection is closing); keeps small capacities.
  void clear() {
    current_.clear();
    next_.clear();
    begin_ = 0;
  }
  // Releases memory a burst left behind.
  void trim(std::size_t keep) {
    if (!writing_ && empty()) {
      if (current_.capacity() > keep) {
        std::string().swap(current_);
      }
      if (next_.capacity() > keep) {
        std::string().swap(next_);
      }
    }
  }

 private:
  std::string current_;
  std::string next_;
  std::size_t begin_ = 0;
  bool writing_ = false;
};

}  // namespace ferry::proxy
