// A small YAML node tree built from libyaml's event parser: scalars, sequences and mappings,
// each with the 1-based line and column where it starts, so the description validator can
// point at the offending node. Anchors and aliases are resolved (aliased subtrees are shared,
// not copied) under a bound on the expanded size, so a "billion laughs" file is an error.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "description/description.h"
#include "description/diagnostic.h"

namespace fanout {

class YamlNode;

/// Nodes are immutable once built and may be shared (an alias refers to its anchor's node);
/// a YamlArena owns them, their text and their lists.
using YamlNodePtr = const YamlNode*;

/// One node of a parsed YAML document.
class YamlNode {
 public:
  enum class Kind : std::uint8_t { kScalar, kSequence, kMapping };

  /// One key/value pair of a mapping, in document order.
  struct Entry {
    YamlNodePtr key;
    YamlNodePtr value;
  };

  Kind kind = Kind::kScalar;
  /// Whether the scalar was written plain (unquoted, not a block scalar, no `!!str` tag).
  /// Only plain scalars are integers, booleans or null: `1` is an integer, `"1"` a string.
  bool plain = true;
  /// Whether the scalar was written in single or double quotes: its text starts one column
  /// after `mark`.
  bool quoted = false;
  /// Where the node starts (for an alias: where its anchored node starts).
  SourceMark mark;
  /// Size of the subtree with every alias expanded, this node included (ParseYaml keeps it
  /// below YamlParseOptions::max_expanded_nodes, itself below 2^32).
  std::uint32_t expanded_size = 1;

  /// The scalar's text (empty for other kinds), held by the arena.
  std::string_view scalar() const {
    return is_scalar() ? std::string_view(static_cast<const char*>(data_), size_)
                       : std::string_view();
  }
  /// The items of a sequence (empty for other kinds), held by the arena.
  std::span<const YamlNodePtr> items() const {
    if (!is_sequence()) return {};
    return {static_cast<const YamlNodePtr*>(data_), size_};
  }
  /// The entries of a mapping, in document order (empty for other kinds), held by the arena;
  /// keys are unique (see ParseYaml).
  std::span<const Entry> entries() const {
    if (!is_mapping()) return {};
    return {static_cast<const Entry*>(data_), size_};
  }

  void SetScalar(std::string_view text) { Set(text.data(), text.size()); }
  void SetItems(std::span<const YamlNodePtr> items) { Set(items.data(), items.size()); }
  void SetEntries(std::span<const Entry> entries) { Set(entries.data(), entries.size()); }

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

 private:
  void Set(const void* data, std::size_t size) {
    data_ = data;
    size_ = static_cast<std::uint32_t>(size);
  }

  // One node is 32 bytes: a description of 1,000 targets has some 16,000 of them.
  const void* data_ = nullptr;  ///< the scalar's text, the items or the entries
  std::uint32_t size_ = 0;      ///< of the text, items or entries at data_
};

/// Owns the nodes of one parsed document, their scalars' text and their lists, carved from
/// large blocks: a description of 1,000 targets has some 13,000 nodes, and one allocation each
/// (with a std::string and two std::vectors per node) made loading it page in three times the
/// memory. Nodes hold only views and spans, so nothing needs destroying one by one.
class YamlArena {
 public:
  YamlArena() = default;
  YamlArena(const YamlArena&) = delete;
  YamlArena& operator=(const YamlArena&) = delete;

  YamlNode* New();
  /// A copy of `text` that lives as long as the arena.
  std::string_view CopyText(std::string_view text);
  /// A copy of `items` that lives as long as the arena.
  template <typename T>
  std::span<const T> CopyList(const std::vector<T>& items) {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    if (items.empty()) return {};
    T* out = static_cast<T*>(Allocate(sizeof(T) * items.size(), alignof(T)));
    std::copy(items.begin(), items.end(), out);
    return {out, items.size()};
  }

 private:
  void* Allocate(std::size_t size, std::size_t align);

  static constexpr std::size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* next_ = nullptr;  ///< free space in the last block
  std::size_t left_ = 0;
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
