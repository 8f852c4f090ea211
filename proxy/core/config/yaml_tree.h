#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ferry::core {

// One node of a parsed YAML document. ferry builds its own small tree from
// yaml-cpp's event stream instead of using YAML::Node: the tree never holds
// an alias (they are refused while parsing), every node knows its line, map
// keys are plain strings checked for duplicates, and scalars keep whether
// they were quoted so that `"5"` is a string and `5` a number. Immutable once
// built; safe to read from any thread.
class YamlNode {
 public:
  enum class Kind : std::uint8_t { Null, Scalar, Sequence, Map };

  YamlNode() = default;
  YamlNode(Kind kind, int line, int column) : kind_(kind), line_(line), column_(column) {}

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }
  bool is_map() const { return kind_ == Kind::Map; }

  // 1-based position of the node's first character (for a null value in a
  // map: the line of its key).
  int line() const { return line_; }
  int column() const { return column_; }

  // Scalars only: the text, and whether it was quoted or a block scalar
  // (`|`, `>`), which makes it a string whatever it looks like.
  const std::string& scalar() const { return scalar_; }
  bool quoted() const { return quoted_; }

  // Sequence items, or map values in file order (each carries its key).
  std::span<const YamlNode> children() const { return children_; }

  // Map values only: the key and the line it was written on.
  const std::string& key() const { return key_; }
  int key_line() const { return key_line_; }

  // Map lookup (linear; config maps are small). nullptr when absent.
  const YamlNode* find(std::string_view key) const;

  // "a map", "a list", "a string", "null": for "expected X, got Y" errors.
  std::string_view kind_name() const;

 private:
  friend class YamlTreeBuilder;

  Kind kind_ = Kind::Null;
  bool quoted_ = false;
  int line_ = 0;
  int column_ = 0;
  int key_line_ = 0;
  std::string key_;
  std::string scalar_;
  std::vector<YamlNode> children_;
};

// Bounds applied while parsing untrusted YAML. The defaults fit any real
// ferry config by a wide margin.
struct YamlLimits {
  // Deepest nesting of lists and maps. The schema needs 7; yaml-cpp itself
  // gives up at 2000 with a deep recursion that ferry never lets it reach.
  std::size_t max_depth = 64;
  // Every scalar, list and map counts one. With aliases refused this bounds
  // memory at about 100 bytes a node.
  std::size_t max_nodes = 250'000;
};

struct YamlError {
  int line = 0;  // 1-based; 0 when yaml-cpp gave no position
  std::string message;
};

// A parsed document: the root node (Null for an empty input) or the first
// problem found.
using YamlParseResult = std::variant<YamlNode, YamlError>;

// Parses one YAML document from `text` (called from any thread; no shared
// state). Refused, as errors: anchors and aliases (an alias bomb never
// expands), explicit tags other than `!!str`, map keys that are not scalars,
// duplicate keys, more than one document, and input beyond `limits`. Every
// yaml-cpp exception is caught and returned with its line.
YamlParseResult parse_yaml(std::string_view text, const YamlLimits& limits = {});

}  // namespace ferry::core
