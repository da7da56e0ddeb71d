// Reading typed values out of a YAML node tree, with one Diagnostic per problem at the node it
// is about: the vocabulary the description's validator (description/validate.cc) is written in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "description/diagnostic.h"
#include "description/yaml_node.h"

namespace fanout {

/// `s` in single quotes, as messages quote names and values.
std::string Quoted(std::string_view s);

class SchemaReader {
 public:
  using Entry = YamlNode::Entry;
  using Entries = std::span<const Entry>;
  using Items = std::span<const YamlNodePtr>;
  using Keys = std::span<const std::string_view>;

  SchemaReader(const std::string& file, std::vector<Diagnostic>* out) : file_(file), out_(out) {}

  int errors() const { return errors_; }

  void Error(SourceMark mark, std::string message, std::vector<std::string> notes = {});

  /// SuggestName within a budget: a file with thousands of misspelt names among thousands of
  /// targets would otherwise spend minutes on suggestions nobody reads (only the first
  /// kMaxReportedErrors errors are shown). The first errors, the ones shown, get them.
  std::string Suggest(std::string_view name, const std::vector<std::string>& candidates);

  /// An error for each key of `entries` not in `allowed`. `where` (and a quoted `target`,
  /// when given) say where the keys are, for messages.
  void CheckKeys(Entries entries, Keys allowed, std::string_view where,
                 std::string_view target = {});

  void TypeError(const YamlNode& node, std::string_view expected, std::string_view what,
                 std::vector<std::string> notes = {});

  /// The entries of a mapping (null reads as an empty mapping), or nullopt after an error.
  std::optional<Entries> ExpectMapping(const YamlNode& node, std::string_view what);
  /// The items of a list (null reads as an empty list), or nullopt after an error.
  std::optional<Items> ExpectList(const YamlNode& node, std::string_view what);
  /// Any scalar but null reads as a string: `1` and `true` are fine where text is expected.
  std::optional<std::string> ExpectString(const YamlNode& node, std::string_view what);
  /// A string that is not empty or blank; `item` names one element of a list ("pattern").
  std::optional<std::string> ExpectText(const YamlNode& node, std::string_view what,
                                        std::string_view item = {});
  std::optional<std::int64_t> ExpectInteger(const YamlNode& node, std::string_view what);
  /// An integer of `min` or more.
  std::optional<std::int64_t> ExpectAtLeast(const YamlNode& node, std::string_view what,
                                            std::int64_t min);
  /// true or false; YAML 1.1's `yes`, `off` and the like are refused with a hint.
  std::optional<bool> ExpectBool(const YamlNode& node, std::string_view what);
  /// One of `values`, with a suggestion when the value is close to one.
  std::optional<std::string> ExpectEnum(const YamlNode& node, std::string_view what, Keys values);
  /// A size greater than zero ("512M", "4G", bytes).
  std::optional<std::uint64_t> ExpectSize(const YamlNode& node, std::string_view what);

 private:
  const std::string& file_;
  std::vector<Diagnostic>* out_;
  int errors_ = 0;
  std::size_t suggest_budget_ = 1'000'000;  // candidate names compared, in all
};

}  // namespace fanout
