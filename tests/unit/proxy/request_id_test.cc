#include "proxy/http/request_id.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace ferry::proxy {
namespace {

TEST(RequestId, IsAVersion4UuidInCanonicalForm) {
  std::mt19937_64 rng(7);
  auto next = [&rng] {
    return rng();
  };
  std::string id;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    make_request_id(id, next);
    ASSERT_EQ(id.size(), 36u);
    for (int dash : {8, 13, 18, 23}) {
      EXPECT_EQ(id[dash], '-') << id;
    }
    EXPECT_EQ(id[14], '4') << id;                                          // version
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant
    for (char c : id) {
      EXPECT_TRUE(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    }
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RequestId, EncodesTheRandomBitsInOrder) {
  std::uint64_t words[2] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  int i = 0;
  auto next = [&] {
    return words[i++];
  };
  std::string id;
  make_request_id(id, next);
  EXPECT_EQ(id, "01234567-89ab-4def-bedc-ba9876543210");
}

}  // namespace
}  // namespace ferry::proxy
