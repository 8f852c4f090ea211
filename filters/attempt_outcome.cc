#include "filters/attempt_outcome.h"

#include <array>

namespace ferry::filters {

bool is_idempotent_method(std::string_view method) {
  static constexpr std::array<std::string_view, 6> kIdempotent = {"GET",   "HEAD", "OPTIONS",
                                                                  "TRACE", "PUT",  "DELETE"};
  for (std::string_view m : kIdempotent) {
    if (m == method) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::filters
