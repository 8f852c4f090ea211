#include "proxy/core/duration.h"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("5s"), seconds(5));
  EXPECT_EQ(parse_duration("2m"), minutes(2));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("7us"), std::chrono::microseconds(7));
  EXPECT_EQ(parse_duration("9ns"), std::chrono::nanoseconds(9));
  EXPECT_EQ(parse_duration("0s"), Duration::zero());
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "5", "s", "-5s", "+5s", "1.5s", "5 s", "5sec", "5S", " 5s", "5s ",
                          "99999999999999999999s", "9999999999h"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(FormatDuration, RoundTripsWithTheLargestExactUnit) {
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(minutes(2)), "2m");
  EXPECT_EQ(format_duration(Duration::zero()), "0s");
  for (Duration d : {Duration(1), Duration(milliseconds(25)), Duration(seconds(300))}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
}

}  // namespace
}  // namespace ferry::core
