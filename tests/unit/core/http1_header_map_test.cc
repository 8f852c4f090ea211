#include "proxy/core/http1/header_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::core::http {
namespace {

std::string dump(const HeaderMap& m) {
  std::string out;
  for (const HeaderField f : m) {
    out.append(f.name).append("=").append(f.value).append(";");
  }
  return out;
}

TEST(Http1HeaderMap, AddLowerCasesNamesAndKeepsOrder) {
  HeaderMap m;
  m.add("Content-Type", "text/plain");
  m.add("X-A", "1");
  m.add("x-a", "2");
  EXPECT_EQ(dump(m), "content-type=text/plain;x-a=1;x-a=2;");
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.byte_size(), std::string("content-typetext/plainx-a1x-a2").size());
  EXPECT_EQ(*m.get("X-a"), "1");
  EXPECT_EQ(m.count("X-A"), 2u);
  EXPECT_TRUE(m.contains("CONTENT-TYPE"));
  EXPECT_FALSE(m.get("x-b"));
  EXPECT_FALSE(m.contains("x"));
}

TEST(Http1HeaderMap, LowerCasingCoversEveryByte) {
  // Eight bytes at a time plus a tail: every byte value, at every position.
  for (int c = 0; c < 256; ++c) {
    for (std::size_t len : {1u, 7u, 8u, 9u, 17u}) {
      const std::string name(len, static_cast<char>(c));
      HeaderMap m;
      m.add(name, "v");
      const char want = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
      EXPECT_EQ(m.at(0).name, std::string(len, want)) << c << " " << len;
    }
  }
  HeaderMap m;
  m.add("X-Forwarded-For-Some-Long-NAME", "Value Kept");
  EXPECT_EQ(m.at(0).name, "x-forwarded-for-some-long-name");
  EXPECT_EQ(m.at(0).value, "Value Kept");
}

TEST(Http1HeaderMap, SetReplacesFirstInPlaceAndRemovesOthers) {
  HeaderMap m;
  m.add("a", "1");
  m.add("b", "2");
  m.add("a", "3");
  m.add("c", "4");
  m.set("A", "new");
  EXPECT_EQ(dump(m), "a=new;b=2;c=4;");
  m.set("d", "5");
  EXPECT_EQ(dump(m), "a=new;b=2;c=4;d=5;");
  EXPECT_EQ(m.byte_size(), 10u);
}

TEST(Http1HeaderMap, RemoveReturnsCount) {
  HeaderMap m;
  m.add("a", "1");
  m.add("b", "2");
  m.add("A", "3");
  EXPECT_EQ(m.remove("a"), 2u);
  EXPECT_EQ(m.remove("a"), 0u);
  EXPECT_EQ(dump(m), "b=2;");
  EXPECT_EQ(m.byte_size(), 2u);
}

TEST(Http1HeaderMap, SelfReferencesAreSafe) {
  HeaderMap m;
  m.add("source", std::string(100, 'v'));
  for (int i = 0; i < 50; ++i) {
    m.add("copy", *m.get("source"));  // the arena may move during the append
    m.set("source", *m.get("copy"));
  }
  EXPECT_EQ(*m.get("source"), std::string(100, 'v'));
  EXPECT_EQ(m.count("copy"), 50u);
}

TEST(Http1HeaderMap, ClearKeepsCapacitySoRecyclingDoesNotGrow) {
  HeaderMap m;
  auto fill = [&] {
    for (int i = 0; i < 30; ++i) {
      m.add("x-header-" + std::to_string(i), "some value of moderate length");
    }
  };
  fill();
  const std::size_t bytes = m.byte_size();
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.byte_size(), 0u);
  const HeaderField first_before_refill{};
  (void)first_before_refill;
  fill();
  const char* arena_before = m.at(0).name.data();
  m.clear();
  fill();
  EXPECT_EQ(m.at(0).name.data(), arena_before);  // the same buffer, no reallocation
  EXPECT_EQ(m.byte_size(), bytes);
}

TEST(Http1HeaderMap, RepeatedSetOnALongLivedMapStaysBounded) {
  HeaderMap m;
  m.add("keep", "k");
  for (int i = 0; i < 100000; ++i) {
    m.set("counter", std::to_string(i));
  }
  EXPECT_EQ(*m.get("counter"), "99999");
  EXPECT_EQ(*m.get("keep"), "k");
  EXPECT_EQ(m.size(), 2u);
  // The arena is compacted: views of the two fields stay close together.
  const auto a = reinterpret_cast<std::uintptr_t>(m.at(0).name.data());
  const auto b = reinterpret_cast<std::uintptr_t>(m.at(1).value.data());
  EXPECT_LT(b - a, 16384u);
}

TEST(Http1HeaderMap, EqualityCopyAndSwap) {
  HeaderMap a;
  a.add("x", "1");
  HeaderMap b = a;
  EXPECT_EQ(a, b);
  b.add("y", "2");
  EXPECT_FALSE(a == b);
  swap(a, b);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.size(), 1u);
  std::vector<std::string> names;
  for (const HeaderField f : a) {
    names.emplace_back(f.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"x", "y"}));
}

}  // namespace
}  // namespace ferry::core::http
