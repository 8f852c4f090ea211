#include "proxy/core/config/yaml_tree.h"

#include <algorithm>
#include <exception>
#include <istream>
#include <numeric>
#include <streambuf>
#include <utility>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace ferry::core {

const YamlNode* YamlNode::find(std::string_view key) const {
  for (const YamlNode& child : children_) {
    if (child.key_ == key) {
      return &child;
    }
  }
  return nullptr;
}

std::string_view YamlNode::kind_name() const {
  switch (kind_) {
    case Kind::Null:
      return "null";
    case Kind::Scalar:
      return "a string";
    case Kind::Sequence:
      return "a list";
    case Kind::Map:
      return "a map";
  }
  return "?";
}

namespace {

// Thrown from inside the event handler to abandon the parse at the first
// refused construct; it unwinds through yaml-cpp, which is exception-safe
// because it reports its own errors the same way.
struct Refusal {
  YamlError error;
};

// Reads a string_view as an istream without copying it.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // never written: no put area
    setg(begin, begin, begin + text.size());
  }
};

int to_line(const YAML::Mark& mark) {
  return mark.is_null() ? 0 : mark.line + 1;
}
int to_column(const YAML::Mark& mark) {
  return mark.is_null() ? 0 : mark.column + 1;
}

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

// "tag:yaml.org,2002:int" is written "!!int" in the file.
std::string short_tag(std::string_view tag) {
  if (tag.starts_with(kCoreTagPrefix)) {
    return "!!" + std::string(tag.substr(kCoreTagPrefix.size()));
  }
  return std::string(tag);
}

}  // namespace

// Turns yaml-cpp events into YamlNodes. Open containers live on a stack by
// value and move into their parent when they close, so no pointer into a
// growing vector is ever held.
class YamlTreeBuilder : public YAML::EventHandler {
 public:
  explicit YamlTreeBuilder(const YamlLimits& limits) : limits_(limits) {}

  YamlNode take_root() { return std::move(root_); }
  bool has_root() const { return has_root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ > 0) {
      refuse(mark, "more than one YAML document: a config file holds exactly one");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    check_anchor(mark, anchor);
    count_node(mark);
    YamlNode node(YamlNode::Kind::Null, to_line(mark), to_column(mark));
    if (!stack_.empty() && stack_.back().node.is_map() && stack_.back().has_key) {
      // yaml-cpp marks an empty value at the next token; its key's line is
      // where a reader looks.
      node.line_ = stack_.back().key_line;
      node.column_ = stack_.back().key_column;
    }
    add(std::move(node));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    refuse(mark, "YAML aliases (*name) are not supported: write the value out");
  }

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    refuse(mark, "YAML anchors (&" + name + ") are not supported: write the value out");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_anchor(mark, anchor);
    count_node(mark);
    if (tag != "?" && tag != "!" && tag != kStrTag) {
      refuse(mark, "YAML tags (" + short_tag(tag) + ") are not supported");
    }
    YamlNode node(YamlNode::Kind::Scalar, to_line(mark), to_column(mark));
    node.scalar_ = value;
    node.quoted_ = tag != "?";
    add(std::move(node));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, anchor, YamlNode::Kind::Sequence);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, anchor, YamlNode::Kind::Map);
  }
  void OnMapEnd() override {
    check_duplicate_keys(stack_.back().node);
    close();
  }

 private:
  struct Frame {
    YamlNode node;
    bool has_key = false;  // maps: a key was read, its value is next
    std::string key;
    int key_line = 0;
    int key_column = 0;
  };

  [[noreturn]] static void refuse(const YAML::Mark& mark, std::string message) {
    throw Refusal{YamlError{to_line(mark), std::move(message)}};
  }

  static void check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      refuse(mark, "YAML anchors are not supported: write the value out");
    }
  }

  void count_node(const YAML::Mark& mark) {
    if (++nodes_ > limits_.max_nodes) {
      refuse(mark, "document has more than " + std::to_string(limits_.max_nodes) + " nodes");
    }
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
            YamlNode::Kind kind) {
    check_anchor(mark, anchor);
    count_node(mark);
    if (tag != "?" && tag != "!") {
      refuse(mark, "YAML tags (" + short_tag(tag) + ") are not supported");
    }
    if (stack_.size() >= limits_.max_depth) {
      refuse(mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    stack_.push_back(Frame{YamlNode(kind, to_line(mark), to_column(mark)), false, {}, 0, 0});
  }

  void close() {
    YamlNode done = std::move(stack_.back().node);
    stack_.pop_back();
    add(std::move(done));
  }

  // Places a finished node: as the root, a list item, a map key, or the
  // value of the pending key.
  void add(YamlNode node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      has_root_ = true;
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.children_.push_back(std::move(node));
      return;
    }
    if (!parent.has_key) {
      if (!node.is_scalar()) {
        throw Refusal{YamlError{
            node.line(), "a map key must be a plain string, not " + std::string(node.kind_name())}};
      }
      parent.has_key = true;
      parent.key = std::move(node.scalar_);
      parent.key_line = node.line();
      parent.key_column = node.column();
      return;
    }
    node.key_ = std::move(parent.key);
    node.key_line_ = parent.key_line;
    parent.has_key = false;
    parent.node.children_.push_back(std::move(node));
  }

  // YAML requires unique keys; yaml-cpp keeps both silently. Sorting indices
  // keeps this O(n log n) for a hostile map with many keys.
  static void check_duplicate_keys(const YamlNode& map) {
    const auto& kids = map.children_;
    std::vector<std::size_t> order(kids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return kids[a].key_ < kids[b].key_; });
    for (std::size_t i = 1; i < order.size(); ++i) {
      const YamlNode& first = kids[order[i - 1]];
      const YamlNode& again = kids[order[i]];
      if (first.key_ == again.key_) {
        throw Refusal{YamlError{again.key_line_, "duplicate key \"" + again.key_ +
                                                     "\" (first on line " +
                                                     std::to_string(first.key_line_) + ")"}};
      }
    }
  }

  const YamlLimits& limits_;
  std::vector<Frame> stack_;
  YamlNode root_;
  bool has_root_ = false;
  int documents_ = 0;
  std::size_t nodes_ = 0;
};

YamlParseResult parse_yaml(std::string_view text, const YamlLimits& limits) {
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  YamlTreeBuilder builder(limits);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const Refusal& refusal) {
    return refusal.error;
  } catch (const YAML::Exception& e) {
    return YamlError{to_line(e.mark), "invalid YAML: " + e.msg};
  } catch (const std::exception& e) {
    return YamlError{0, std::string("cannot parse YAML: ") + e.what()};
  }
  if (!builder.has_root()) {
    return YamlNode(YamlNode::Kind::Null, 1, 1);
  }
  return builder.take_root();
}

}  // namespace ferry::core
