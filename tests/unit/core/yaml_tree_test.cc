#include "proxy/core/config/yaml_tree.h"

#include <string>
#include <variant>

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

YamlNode parse_ok(std::string_view text, const YamlLimits& limits = {}) {
  YamlParseResult result = parse_yaml(text, limits);
  if (const auto* error = std::get_if<YamlError>(&result)) {
    ADD_FAILURE() << "line " << error->line << ": " << error->message;
    return {};
  }
  return std::get<YamlNode>(std::move(result));
}

YamlError parse_error(std::string_view text, const YamlLimits& limits = {}) {
  YamlParseResult result = parse_yaml(text, limits);
  if (std::holds_alternative<YamlNode>(result)) {
    ADD_FAILURE() << "parsed without error: " << text.substr(0, 80);
    return {};
  }
  return std::get<YamlError>(std::move(result));
}

// CF-03: 9 levels of 9 aliases each; expanded, the last key is 9^9 (~4e8)
// nodes. Built here so the test does not depend on a fixture file.
std::string alias_bomb() {
  std::string text =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const char previous = static_cast<char>(level - 1);
    text += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 9; ++i) {
      text += std::string(i == 0 ? "" : ",") + "*" + previous;
    }
    text += "]\n";
  }
  return text;
}

TEST(YamlTree, BuildsMapsListsAndScalarsWithLines) {
  const YamlNode root = parse_ok("name: web\nports:\n  - 80\n  - \"81\"\nempty:\n");
  ASSERT_TRUE(root.is_map());
  ASSERT_EQ(root.children().size(), 3u);

  const YamlNode* name = root.find("name");
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->is_scalar());
  EXPECT_EQ(name->scalar(), "web");
  EXPECT_FALSE(name->quoted());
  EXPECT_EQ(name->key_line(), 1);
  EXPECT_EQ(name->column(), 7);

  const YamlNode* ports = root.find("ports");
  ASSERT_NE(ports, nullptr);
  ASSERT_TRUE(ports->is_sequence());
  ASSERT_EQ(ports->children().size(), 2u);
  EXPECT_EQ(ports->key_line(), 2);
  EXPECT_EQ(ports->children()[0].line(), 3);
  EXPECT_FALSE(ports->children()[0].quoted());
  EXPECT_EQ(ports->children()[1].scalar(), "81");
  EXPECT_TRUE(ports->children()[1].quoted());

  // An empty value is null, and sits on its key's line (yaml-cpp marks it
  // at the next token).
  const YamlNode* empty = root.find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->is_null());
  EXPECT_EQ(empty->line(), 5);
  EXPECT_EQ(root.find("missing"), nullptr);
}

TEST(YamlTree, BlockScalarsAndStrTagAreQuotedStrings) {
  const YamlNode root = parse_ok("a: |\n  text\nb: !!str 5\nc: ~\nd: null\n");
  EXPECT_TRUE(root.find("a")->quoted());
  EXPECT_EQ(root.find("a")->scalar(), "text\n");
  EXPECT_TRUE(root.find("b")->quoted());
  EXPECT_EQ(root.find("b")->scalar(), "5");
  EXPECT_TRUE(root.find("c")->is_null());
  EXPECT_TRUE(root.find("d")->is_null());
}

TEST(YamlTree, EmptyInputIsANullDocument) {
  EXPECT_TRUE(parse_ok("").is_null());
  EXPECT_TRUE(parse_ok("# only a comment\n").is_null());
}

TEST(YamlTree, DeepFlowNestingIsAnErrorNotAStackOverflow) {
  const YamlError error = parse_error(std::string(100'000, '['));
  EXPECT_EQ(error.line, 1);
  EXPECT_NE(error.message.find("nesting deeper than 64 levels"), std::string::npos)
      << error.message;
}

TEST(YamlTree, DeepBlockAndMapNestingAreErrors) {
  std::string block;
  for (int i = 0; i < 100'000; ++i) {
    block += "- ";
  }
  block += "x\n";
  EXPECT_NE(parse_error(block).message.find("nesting deeper"), std::string::npos);

  std::string maps;
  for (int i = 0; i < 100'000; ++i) {
    maps += "{a: ";
  }
  EXPECT_NE(parse_error(maps).message.find("nesting deeper"), std::string::npos);
}

TEST(YamlTree, NestingUpToTheLimitIsAccepted) {
  YamlLimits limits;
  limits.max_depth = 8;
  EXPECT_TRUE(parse_ok("[[[[[[[[1]]]]]]]]", limits).is_sequence());
  EXPECT_NE(parse_error("[[[[[[[[[1]]]]]]]]]", limits).message.find("deeper than 8"),
            std::string::npos);
}

TEST(YamlTree, AliasBombIsRefusedAtTheFirstAnchor) {
  const std::string bomb = alias_bomb();
  ASSERT_LT(bomb.size(), 400u);
  const YamlError error = parse_error(bomb);
  EXPECT_EQ(error.line, 1);
  EXPECT_NE(error.message.find("anchors (&a) are not supported"), std::string::npos)
      << error.message;
}

TEST(YamlTree, AnchorsAndAliasesAreRefusedEverywhere) {
  EXPECT_NE(parse_error("base: &b {x: 1}\n").message.find("anchors"), std::string::npos);
  EXPECT_NE(parse_error("a: 1\nb: &s text\n").message.find("anchors"), std::string::npos);
  EXPECT_EQ(parse_error("a: 1\nb: &s text\n").line, 2);
  // An alias with no anchor: yaml-cpp's own error, still an error with a line.
  const YamlError unknown = parse_error("a: 1\nb: *nowhere\n");
  EXPECT_EQ(unknown.line, 2);
  // Merge keys need an alias, so they are refused too.
  EXPECT_NE(parse_error("a: &x {k: 1}\nb:\n  <<: *x\n").message.find("anchors"), std::string::npos);
}

TEST(YamlTree, DuplicateKeysAreRefusedWithBothLines) {
  const YamlError error = parse_error("listeners:\n  - name: a\n    name: b\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.message, "duplicate key \"name\" (first on line 2)");
}

TEST(YamlTree, TagsOtherThanStrAreRefused) {
  const YamlError error = parse_error("workers: !!int 5\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.message, "YAML tags (!!int) are not supported");
  EXPECT_NE(parse_error("a: !custom {b: 1}\n").message.find("!custom"), std::string::npos);
}

TEST(YamlTree, ComplexKeysAreRefused) {
  const YamlError error = parse_error("? [a, b]\n: value\n");
  EXPECT_NE(error.message.find("map key must be a plain string"), std::string::npos);
}

TEST(YamlTree, OnlyOneDocument) {
  const YamlError error = parse_error("a: 1\n---\nb: 2\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("more than one YAML document"), std::string::npos);
}

TEST(YamlTree, SyntaxErrorsCarryTheirLine) {
  const YamlError error = parse_error("a: 1\nb: [1, 2\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_NE(error.message.find("invalid YAML"), std::string::npos) << error.message;
  EXPECT_EQ(parse_error("a: 1\n  b: 2\n").line, 2);
  EXPECT_EQ(parse_error("a: 1\nb: c: d\n").line, 2);
}

TEST(YamlTree, NodeLimitBoundsMemory) {
  YamlLimits limits;
  limits.max_nodes = 10;
  EXPECT_TRUE(parse_ok("[1, 2, 3, 4, 5, 6, 7, 8]", limits).is_sequence());
  EXPECT_NE(
      parse_error("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", limits).message.find("more than 10 nodes"),
      std::string::npos);
}

TEST(YamlTree, OddBytes) {
  // A UTF-8 byte-order mark is skipped.
  const YamlNode bom = parse_ok(
      "\xef\xbb\xbf"
      "a: 1\n");
  ASSERT_NE(bom.find("a"), nullptr);
  EXPECT_EQ(bom.find("a")->scalar(), "1");
  // A raw NUL byte is a syntax error, not a truncated document.
  EXPECT_EQ(parse_error(std::string("a: b\0c\n", 7)).line, 1);
  // An escaped NUL reaches the tree; the typed reader refuses it.
  EXPECT_EQ(parse_ok("a: \"x\\x00y\"\n").find("a")->scalar(), std::string("x\0y", 3));
}

}  // namespace
}  // namespace ferry::core
