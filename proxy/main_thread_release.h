#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace ferry::proxy {

// Wraps an immutable object so that its last reference, wherever it is
// dropped (often on a worker), destroys it on the main thread: snapshots own
// stats series and hosts whose teardown belongs to main (DESIGN.md,
// "Snapshots"). If main's loop is gone the posted handler is destroyed
// unexecuted and its unique_ptr still frees the object, so nothing leaks.
template <typename T>
std::shared_ptr<const T> release_on(boost::asio::io_context& main, std::unique_ptr<T> object) {
  return std::shared_ptr<const T>(object.release(), [&main](const T* raw) {
    boost::asio::post(main, [owned = std::unique_ptr<const T>(raw)]() mutable { owned.reset(); });
  });
}

}  // namespace ferry::proxy
