// A small YAML node tree built from libyaml's event parser: scalars, sequences and mappings,
// each with the 1-based line and column where it starts, so the description validator can
// point at the offending node. Anchors and aliases are resolved (aliased subtrees are shared,
// not copied) under a bound on the expanded size, so a "billion laughs" file is an error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/description.h"
#include "src/diagnostic.h"

namespace fanout {

class YamlNode;

/// Nodes are immutable once built and may be shared (an alias refers to its anchor's node);
/// a YamlArena owns them.
using YamlNodePtr = const YamlNode*;

/// One node of a parsed YAML document.
class YamlNode {
 public:
  enum class Kind { kScalar, kSequence, kMapping };

  /// One key/value pair of a mapping, in document order.
  struct Entry {
    YamlNodePtr key;
    YamlNodePtr value;
  };

  Kind kind = Kind::kScalar;
  /// Where the node starts (for an alias: where its anchored node starts).
  SourceMark mark;

  /// The scalar's text (scalars only).
  std::string scalar;
  /// Whether the scalar was written plain (unquoted, not a block scalar, no `!!str` tag).
  /// Only plain scalars are integers, booleans or null: `1` is an integer, `"1"` a string.
  bool plain = true;
  /// Whether the scalar was written in single or double quotes: its text starts one column
  /// after `mark`.
  bool quoted = false;

  /// The items of a sequence.
  std::vector<YamlNodePtr> items;
  /// The entries of a mapping, in document order; keys are unique (see ParseYaml).
  std::vector<Entry> entries;

  /// Size of the subtree with every alias expanded, this node included.
  std::size_t expanded_size = 1;

  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_mapping() const { return kind == Kind::kMapping; }

  /// Whether this is a plain null scalar: empty, `~`, `null`, `Null` or `NULL`.
  bool is_null() const;

  /// The entry of a mapping whose key is the scalar `key`, or nullptr.
  const Entry* Find(std::string_view key) const;

  /// A short description of the node for messages: "a mapping", "a list", "null",
  /// "an integer", "a boolean" or "a string".
  std::string Describe() const;
};

/// Owns the nodes of one parsed document, allocated in chunks: a large description has tens
/// of thousands of nodes, and one allocation (and free) each was a good part of loading it.
class YamlArena {
 public:
  YamlNode* New();

 private:
  static constexpr std::size_t kChunk = 256;
  std::vector<std::unique_ptr<YamlNode[]>> chunks_;
  std::size_t used_ = kChunk;  ///< nodes taken from the last chunk
};

/// Limits that keep hostile input from exhausting memory or the stack.
struct YamlParseOptions {
  /// Most nodes the document may have with every alias expanded: this many, or
  /// `expanded_nodes_per_byte` times the length of the text when that is more, so a large
  /// description is never refused for its size alone.
  std::size_t max_expanded_nodes = 1'000'000;
  std::size_t expanded_nodes_per_byte = 2;
  /// Deepest nesting of sequences and mappings.
  int max_depth = 200;
};

/// The outcome of ParseYaml.
struct YamlParseResult {
  /// Owns every node, `root` included.
  std::shared_ptr<YamlArena> arena;
  /// The document's root, or nullptr when the text holds no document or parsing failed.
  YamlNodePtr root = nullptr;
  /// Every problem found, pointing at the offending node (file set to the given name).
  std::vector<Diagnostic> errors;
  /// Whether the tree is unusable (syntax error, unknown alias, limit exceeded); when false,
  /// `errors` holds only problems the tree survives (a duplicate key keeps its first value).
  bool fatal = false;
};

/// Parses the first document of `text` with libyaml. A duplicate key in a mapping is an
/// error; `<<` merge keys (YAML 1.1) copy in the entries of the merged mappings that the
/// mapping does not set itself. A second document in the stream is an error.
YamlParseResult ParseYaml(std::string_view text, const std::string& file,
                          const YamlParseOptions& options = {});

}  // namespace fanout
