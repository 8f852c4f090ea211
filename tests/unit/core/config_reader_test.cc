#include "proxy/core/config/config_reader.h"

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "config_test_support.h"

namespace ferry::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::has_error;

enum class Color { Red, Green };
constexpr std::array<EnumName<Color>, 2> kColors = {{{"red", Color::Red}, {"green", Color::Green}}};

// Parses `text` and hands a MapReader over its root to `read`; the reader is
// destroyed (reporting unknown keys) before the errors are returned.
class ReaderHarness {
 public:
  explicit ReaderHarness(std::string_view text)
      : parsed_(parse_yaml(testing::yaml(text))), errors_("r.yaml"), ctx_(errors_, lines_) {
    EXPECT_TRUE(std::holds_alternative<YamlNode>(parsed_));
  }

  template <class F>
  std::vector<ConfigError> read(F&& fields) {
    {
      MapReader reader(ctx_, &std::get<YamlNode>(parsed_), "root");
      fields(reader);
    }
    return errors_.take_sorted();
  }

  const SourceMap& lines() const { return lines_; }

 private:
  YamlParseResult parsed_;
  ConfigErrors errors_;
  SourceMap lines_;
  ReadContext ctx_;
};

TEST(MapReader, ReadsTypedValuesAndLeavesDefaultsForAbsentKeys) {
  ReaderHarness harness(R"(
name: web
enabled: true
count: 7
ratio: 1.5
wait: 250ms
limit: 64KiB
address: "[::1]:15001"
color: green
tags: [a, b]
codes: [200, 503]
labels: {zone: a, tier: "1"}
)");
  std::string name;
  bool enabled = false;
  std::uint32_t count = 0;
  double ratio = 0;
  Duration wait{};
  std::uint64_t limit = 0;
  SocketAddress address;
  Color color = Color::Red;
  std::vector<std::string> tags;
  std::vector<std::uint16_t> codes;
  std::map<std::string, std::string> labels;
  std::uint32_t untouched = 99;
  const auto errors = harness.read([&](MapReader& r) {
    EXPECT_TRUE(r.string("name", name));
    EXPECT_TRUE(r.boolean("enabled", enabled));
    EXPECT_TRUE(r.integer("count", count, kCountRange));
    EXPECT_TRUE(r.number("ratio", ratio, 0, 10));
    EXPECT_TRUE(r.duration("wait", wait, ZeroDuration::Invalid));
    EXPECT_TRUE(r.size("limit", limit));
    EXPECT_TRUE(r.socket_address("address", address));
    EXPECT_TRUE(r.enumeration("color", color, std::span(kColors)));
    EXPECT_TRUE(r.string_list("tags", tags));
    EXPECT_TRUE(r.integer_list("codes", codes, kStatusRange));
    EXPECT_TRUE(r.string_map("labels", labels));
    EXPECT_FALSE(r.integer("absent", untouched, kCountRange));
  });
  EXPECT_TRUE(errors.empty()) << testing::describe(errors);
  EXPECT_EQ(name, "web");
  EXPECT_TRUE(enabled);
  EXPECT_EQ(count, 7u);
  EXPECT_DOUBLE_EQ(ratio, 1.5);
  EXPECT_EQ(wait, milliseconds(250));
  EXPECT_EQ(limit, 64u * 1024);
  EXPECT_EQ(address.to_string(), "[::1]:15001");
  EXPECT_EQ(color, Color::Green);
  EXPECT_EQ(tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(codes, (std::vector<std::uint16_t>{200, 503}));
  EXPECT_EQ(labels, (std::map<std::string, std::string>{{"tier", "1"}, {"zone", "a"}}));
  EXPECT_EQ(untouched, 99u);
}

TEST(MapReader, RecordsTheLineOfEveryKeyAndItem) {
  ReaderHarness harness(R"(
a: 1
list:
  - x
  - y
nested:
  inner: 2
)");
  harness.read([&](MapReader& r) {
    r.skip("a");
    std::vector<std::string> items;
    r.string_list("list", items);
    r.map("nested", [](MapReader& m) { m.skip("inner"); });
  });
  const SourceMap& lines = harness.lines();
  EXPECT_EQ(lines.line_of("root.a"), 1);
  EXPECT_EQ(lines.line_of("root.list"), 2);
  EXPECT_EQ(lines.line_of("root.list[1]"), 4);
  EXPECT_EQ(lines.line_of("root.nested.inner"), 6);
  // An unwritten key falls back to its closest written ancestor.
  EXPECT_EQ(lines.line_of("root.nested.missing"), 5);
  EXPECT_TRUE(lines.contains("root.nested"));
  EXPECT_FALSE(lines.contains("root.nested.missing"));
}

TEST(MapReader, UnknownKeysAreErrorsWithASuggestion) {
  ReaderHarness harness(R"(
idle_timeout: 5s
idel_timeout: 5s
completely_unrelated: 1
)");
  const auto errors = harness.read([](MapReader& r) {
    Duration d{};
    r.duration("idle_timeout", d, ZeroDuration::Disables);
  });
  ASSERT_EQ(errors.size(), 2u) << testing::describe(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].path, "root.idel_timeout");
  EXPECT_EQ(errors[0].message, "unknown key (did you mean \"idle_timeout\"?)");
  EXPECT_EQ(errors[1].path, "root.completely_unrelated");
  EXPECT_EQ(errors[1].message, "unknown key");
}

TEST(MapReader, WrongTypesNameTheExpectedType) {
  ReaderHarness harness(R"(
count: "5"
flag: yes
name: [a]
items: {a: 1}
section: 3
ratio: high
)");
  const auto errors = harness.read([](MapReader& r) {
    std::uint32_t count = 0;
    bool flag = false;
    std::string name;
    std::vector<std::string> items;
    double ratio = 0;
    r.integer("count", count, kCountRange);
    r.boolean("flag", flag);
    r.string("name", name);
    r.string_list("items", items);
    r.map("section", [](MapReader&) {});
    r.number("ratio", ratio, 0, 1);
  });
  EXPECT_TRUE(
      has_error(errors, 1, "root.count", "expected an integer, got the quoted string \"5\""));
  EXPECT_TRUE(has_error(errors, 2, "root.flag", "expected a boolean (true or false), got \"yes\""));
  EXPECT_TRUE(has_error(errors, 3, "root.name", "expected a string, got a list"));
  EXPECT_TRUE(has_error(errors, 4, "root.items", "expected a list, got a map"));
  EXPECT_TRUE(has_error(errors, 5, "root.section", "expected a map, got \"3\""));
  EXPECT_TRUE(has_error(errors, 6, "root.ratio", "expected a number, got \"high\""));
  EXPECT_EQ(errors.size(), 6u);
}

TEST(MapReader, StringsRefuseControlCharacters) {
  ReaderHarness harness(R"(
path: "/tmp/a\x00b"
name: "line\nbreak"
block: |
  two
  lines
)");
  const auto errors = harness.read([](MapReader& r) {
    std::string text;
    EXPECT_FALSE(r.string("path", text));
    EXPECT_FALSE(r.string("name", text));
    EXPECT_FALSE(r.string("block", text));
  });
  EXPECT_TRUE(has_error(errors, 1, "root.path", "must not contain control characters"));
  EXPECT_TRUE(has_error(errors, 2, "root.name", "must not contain control characters"));
  EXPECT_TRUE(has_error(errors, 3, "root.block", "must not contain control characters"));
}

TEST(MapReader, RangesAndRequiredKeys) {
  ReaderHarness harness(R"(
zero: 0
big: 70000
port: 70000
nothing:
)");
  const auto errors = harness.read([](MapReader& r) {
    std::uint32_t zero = 5;
    std::uint16_t big = 0;
    std::int64_t port = 0;
    std::string nothing;
    std::string missing;
    r.integer("zero", zero, kCountRange);
    r.integer("big", big, IntRange{});
    r.integer("port", port, kPortRange);
    r.string("nothing", nothing, Presence::Required);
    r.string("missing", missing, Presence::Required);
    EXPECT_EQ(zero, 5u);  // invalid values leave the default in place
  });
  EXPECT_TRUE(has_error(errors, 1, "root.zero", "must be at least 1 (got 0)"));
  // The target type narrows the range: uint16 holds at most 65535.
  EXPECT_TRUE(has_error(errors, 2, "root.big", "must be between 0 and 65535 (got 70000)"));
  EXPECT_TRUE(has_error(errors, 3, "root.port", "must be between 1 and 65535 (got 70000)"));
  EXPECT_TRUE(has_error(errors, 4, "root.nothing", "is required (got null)"));
  EXPECT_TRUE(has_error(errors, 1, "root.missing", "is required"));
}

TEST(MapReader, DurationsNeedAUnitAndNoSign) {
  ReaderHarness harness(R"(
unitless: 5
negative: -5s
fraction: 1.5s
zero_ok: 0s
zero_bad: 0s
good: 2m
)");
  Duration zero_ok = seconds(9);
  Duration zero_bad = seconds(9);
  Duration good{};
  const auto errors = harness.read([&](MapReader& r) {
    Duration ignored{};
    r.duration("unitless", ignored, ZeroDuration::Disables);
    r.duration("negative", ignored, ZeroDuration::Disables);
    r.duration("fraction", ignored, ZeroDuration::Disables);
    r.duration("zero_ok", zero_ok, ZeroDuration::Disables);
    r.duration("zero_bad", zero_bad, ZeroDuration::Invalid);
    r.duration("good", good, ZeroDuration::Invalid);
  });
  EXPECT_TRUE(has_error(errors, 1, "root.unitless", "invalid duration \"5\""));
  EXPECT_TRUE(has_error(errors, 2, "root.negative", "durations cannot be negative"));
  EXPECT_TRUE(has_error(errors, 3, "root.fraction", "invalid duration \"1.5s\""));
  EXPECT_TRUE(has_error(errors, 5, "root.zero_bad", "must be greater than 0s"));
  EXPECT_EQ(errors.size(), 4u) << testing::describe(errors);
  EXPECT_EQ(zero_ok, Duration::zero());
  EXPECT_EQ(zero_bad, seconds(9));
  EXPECT_EQ(good, std::chrono::minutes(2));
}

TEST(MapReader, SizesAndAddresses) {
  ReaderHarness harness(R"(
zero: 0
unit: 60KB
listen: 127.0.0.1:70000
name: localhost:80
target: backend.internal:0
v6: "[::1]:8080"
bad: "::1:8080"
)");
  std::optional<HostPort> v6;
  const auto errors = harness.read([&](MapReader& r) {
    std::uint64_t size = 0;
    SocketAddress address;
    r.size("zero", size);
    r.size("unit", size);
    r.socket_address("listen", address);
    r.socket_address("name", address);
    ReadContext& ctx = r.context();
    if (auto value = r.take("target")) {
      (void)read_host_port(ctx, *value);
    }
    if (auto value = r.take("v6")) {
      v6 = read_host_port(ctx, *value);
    }
    if (auto value = r.take("bad")) {
      (void)read_host_port(ctx, *value);
    }
  });
  EXPECT_TRUE(has_error(errors, 1, "root.zero", "must be at least 1 byte"));
  EXPECT_TRUE(has_error(errors, 2, "root.unit", "invalid size \"60KB\""));
  EXPECT_TRUE(has_error(errors, 3, "root.listen", "port 70000 is out of range (0-65535)"));
  EXPECT_TRUE(has_error(errors, 4, "root.name", "expected a numeric IPv4:port"));
  EXPECT_TRUE(has_error(errors, 5, "root.target", "port 0 is not a valid destination port"));
  EXPECT_TRUE(has_error(errors, 7, "root.bad", "invalid address \"::1:8080\""));
  EXPECT_EQ(errors.size(), 6u) << testing::describe(errors);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
}

TEST(MapReader, EnumsListTheirChoicesAndRefuseDuplicates) {
  ReaderHarness harness(R"(
color: blue
colors: [red, green, red]
)");
  const auto errors = harness.read([](MapReader& r) {
    Color color = Color::Red;
    std::vector<Color> colors;
    r.enumeration("color", color, std::span(kColors));
    r.enum_list("colors", colors, std::span(kColors));
  });
  EXPECT_TRUE(
      has_error(errors, 1, "root.color", "invalid value \"blue\" (expected one of: red, green)"));
  EXPECT_TRUE(has_error(errors, 2, "root.colors[2]", "duplicate value \"red\""));
}

TEST(MapReader, NullCountsAsAbsentAndSectionsEmplaceDefaults) {
  ReaderHarness harness(R"(
policy: {}
off: null
other:
)");
  struct Policy {
    int value = 3;
  };
  std::optional<Policy> policy;
  std::optional<Policy> off;
  std::optional<Policy> other;
  const auto errors = harness.read([&](MapReader& r) {
    EXPECT_FALSE(r.has("off"));
    EXPECT_TRUE(r.has("policy"));
    r.section("policy", policy, [](MapReader&, Policy&) {});
    r.section("off", off, [](MapReader&, Policy&) {});
    r.section("other", other, [](MapReader&, Policy&) {});
  });
  EXPECT_TRUE(errors.empty()) << testing::describe(errors);
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->value, 3);
  EXPECT_FALSE(off.has_value());
  EXPECT_FALSE(other.has_value());
}

TEST(MapReader, ListsOfMapsGetOneReaderPerItem) {
  ReaderHarness harness(R"(
items:
  - name: a
  - name: b
    extra: 1
  - just a string
)");
  std::vector<std::string> names;
  const auto errors = harness.read([&](MapReader& r) {
    r.map_list("items", [&](MapReader& item, std::size_t index) {
      EXPECT_EQ(item.path(), "root.items[" + std::to_string(index) + "]");
      item.string("name", names.emplace_back());
    });
  });
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(has_error(errors, 4, "root.items[1].extra", "unknown key"));
  EXPECT_TRUE(has_error(errors, 5, "root.items[2]", "expected a map, got \"just a string\""));
}

TEST(ConfigErrors, SortsByLineAndCapsTheCount) {
  ConfigErrors errors("f.yaml", 3);
  errors.add(9, "c", "third");
  errors.add(2, "a", "first");
  errors.add(2, "b", "second");
  errors.add(1, "d", "dropped");
  errors.add(1, "e", "dropped");
  EXPECT_TRUE(errors.full());
  EXPECT_EQ(errors.size(), 5u);
  const auto sorted = errors.take_sorted();
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(sorted[0].to_string(), "f.yaml:2: a: first");
  EXPECT_EQ(sorted[1].to_string(), "f.yaml:2: b: second");
  EXPECT_EQ(sorted[2].to_string(), "f.yaml:9: c: third");
  EXPECT_EQ(sorted[3].to_string(), "f.yaml: 2 more errors not shown (only the first 3 are kept)");
}

TEST(ConfigError, FormatsFileLinePathMessage) {
  EXPECT_EQ((ConfigError{"ferry.yaml", 12, "listeners[0].idle_timeout", "invalid duration \"5\""}
                 .to_string()),
            "ferry.yaml:12: listeners[0].idle_timeout: invalid duration \"5\"");
  EXPECT_EQ((ConfigError{"ferry.yaml", 3, "", "invalid YAML: bad"}.to_string()),
            "ferry.yaml:3: invalid YAML: bad");
  EXPECT_EQ((ConfigError{"ferry.yaml", 0, "", "cannot open"}.to_string()),
            "ferry.yaml: cannot open");
}

TEST(SourceMap, PathHelpers) {
  EXPECT_EQ(normalize_path("listeners[3].routes[12].fault"), "listeners[].routes[].fault");
  EXPECT_EQ(normalize_path("admin.address"), "admin.address");
  EXPECT_EQ(parent_path("a.b[2].c"), "a.b[2]");
  EXPECT_EQ(parent_path("a.b[2]"), "a.b");
  EXPECT_EQ(parent_path("a.b"), "a");
  EXPECT_EQ(parent_path("a"), "");
  EXPECT_EQ(parent_path(""), "");
}

}  // namespace
}  // namespace ferry::core
