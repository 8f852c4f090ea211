#include "proxy/core/config/config_values.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

TEST(ConfigValues, IntegersAreDecimalWithOptionalSign) {
  EXPECT_EQ(parse_integer("42"), 42);
  EXPECT_EQ(parse_integer("-1"), -1);
  EXPECT_EQ(parse_integer("+7"), 7);
  EXPECT_EQ(parse_integer("0"), 0);
  EXPECT_EQ(parse_integer("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_integer("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  for (const char* bad : {"", "-", "+", "0x10", "0o7", "1_000", "1.0", "1e3", " 1", "1 ", "abc",
                          "9223372036854775808", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_integer(bad).has_value()) << bad;
  }
}

TEST(ConfigValues, NumbersAreFiniteDecimals) {
  EXPECT_DOUBLE_EQ(*parse_number("1.9"), 1.9);
  EXPECT_DOUBLE_EQ(*parse_number("3"), 3.0);
  EXPECT_DOUBLE_EQ(*parse_number("-0.5"), -0.5);
  EXPECT_DOUBLE_EQ(*parse_number("+2.5e3"), 2500.0);
  for (const char* bad : {"", "nan", "inf", "-inf", ".5", "0x1p3", "1.9.1", "1,5", "1e999", "e3"}) {
    EXPECT_FALSE(parse_number(bad).has_value()) << bad;
  }
}

TEST(ConfigValues, BooleansAreYaml12CoreOnly) {
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("True"), true);
  EXPECT_EQ(parse_bool("FALSE"), false);
  for (const char* bad : {"yes", "no", "on", "off", "y", "1", "0", "tRuE", ""}) {
    EXPECT_FALSE(parse_bool(bad).has_value()) << bad;
  }
}

TEST(ConfigValues, SizesTakeBytesOrBinaryUnits) {
  EXPECT_EQ(parse_size("65536"), 65536u);
  EXPECT_EQ(parse_size("60KiB"), 60u * 1024);
  EXPECT_EQ(parse_size("1MiB"), 1024u * 1024);
  EXPECT_EQ(parse_size("2GiB"), 2ull << 30);
  EXPECT_EQ(parse_size("0"), 0u);
  for (const char* bad : {"", "KiB", "60KB", "60kib", "60 KiB", "1.5MiB", "-1", "+1", "1TiB",
                          "99999999999999999999", "17179869184GiB"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
}

TEST(ConfigValues, FormatSizeUsesTheLargestExactUnit) {
  EXPECT_EQ(format_size(60 * 1024), "60KiB");
  EXPECT_EQ(format_size(1024 * 1024), "1MiB");
  EXPECT_EQ(format_size(1536), "1536");
  EXPECT_EQ(format_size(0), "0");
  for (std::uint64_t n : {1ull, 1023ull, 4096ull, 3ull << 30, 12345678ull}) {
    EXPECT_EQ(parse_size(format_size(n)), n);
  }
}

TEST(ConfigValues, DnsNamesFollowRfc1123) {
  for (const char* good : {"backend", "backend.internal", "a-b.c-d.example", "x1.y2", "localhost.",
                           "1backend.local", "backend.local9"}) {
    EXPECT_TRUE(is_dns_name(good)) << good;
  }
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  EXPECT_TRUE(is_dns_name(label63 + ".com"));
  EXPECT_FALSE(is_dns_name(label64 + ".com"));
  for (const char* bad : {"", ".", "-a.com", "a-.com", "a..b", "a_b.com", "a b", "a/b", "127.0.0.1",
                          "999.1.1.1", "1.2.3", "::1", "*.local"}) {
    EXPECT_FALSE(is_dns_name(bad)) << bad;
  }
}

TEST(ConfigValues, IpLiterals) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("fe80::1"));
  EXPECT_FALSE(is_ip_literal("[::1]"));
  EXPECT_FALSE(is_ip_literal("999.1.1.1"));
  EXPECT_FALSE(is_ip_literal("localhost"));
  EXPECT_FALSE(is_ip_literal(""));
}

}  // namespace
}  // namespace ferry::core
