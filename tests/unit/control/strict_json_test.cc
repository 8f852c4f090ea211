#include "control/strict_json.h"

#include <gtest/gtest.h>

namespace ferry::control {
namespace {

TEST(StrictJson, ParsesOrdinaryRequests) {
  std::string error;
  auto v = parse_strict_json(R"({"Name":"a","Tags":[{"Key":"k","Value":"v"}],"N":1,"B":true,
                                 "Z":null,"D":1.5,"U":"caf\u00e9 \u2603"})",
                             error);
  ASSERT_TRUE(v.has_value()) << error;
  EXPECT_EQ(v->at("Name"), "a");
  EXPECT_EQ(v->at("Tags").at(0).at("Key"), "k");
  EXPECT_EQ(v->at("N").as_int64(), 1);
}

TEST(StrictJson, RefusesDuplicateKeysAtAnyDepth) {
  std::string error;
  EXPECT_FALSE(parse_strict_json(R"({"a":1,"a":2})", error).has_value());
  EXPECT_NE(error.find("duplicate key \"a\""), std::string::npos) << error;
  EXPECT_FALSE(parse_strict_json(R"({"x":{"b":1,"c":2,"b":3}})", error).has_value());
  // The same key in sibling objects is fine.
  EXPECT_TRUE(parse_strict_json(R"({"x":{"b":1},"y":{"b":2}})", error).has_value()) << error;
}

TEST(StrictJson, BoundsNestingWithoutRecursing) {
  std::string error;
  const std::string deep(100000, '[');
  EXPECT_FALSE(parse_strict_json(deep, error).has_value());
  EXPECT_NE(error.find("nesting"), std::string::npos) << error;
  std::string objects;
  for (int i = 0; i < 100000; ++i) {
    objects += "{\"a\":";
  }
  EXPECT_FALSE(parse_strict_json(objects, error).has_value());
  std::string ok = std::string(20, '[') + std::string(20, ']');
  EXPECT_TRUE(parse_strict_json(ok, error).has_value()) << error;
}

TEST(StrictJson, RefusesInvalidUtf8AndMalformedText) {
  std::string error;
  for (std::string bad :
       {std::string("{\"a\":\"\xff\"}"), std::string("{\"a\":\"\xc3\"}"),
        std::string("{\"\xed\xa0\x80\":1}"), std::string("{"), std::string("{} {}"),
        std::string("{\"a\":1,}"), std::string("{/*c*/}"), std::string("nul"), std::string("")}) {
    EXPECT_FALSE(parse_strict_json(bad, error).has_value()) << bad;
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace ferry::control
