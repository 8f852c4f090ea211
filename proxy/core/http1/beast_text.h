#pragma once

#include <string_view>

#include <boost/beast/core/string.hpp>

// Beast's string_view as ferry's, for the two head readers (the only files
// that see Beast's parser).
namespace ferry::core::http1 {

inline std::string_view sv(boost::beast::string_view v) {
  return {v.data(), v.size()};
}

}  // namespace ferry::core::http1
