#include "description/schema_reader.h"

#include <algorithm>
#include <set>
#include <utility>

#include "description/values.h"

namespace fanout {
namespace {

std::string Join(SchemaReader::Keys keys) {
  std::string out;
  for (std::string_view key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

}  // namespace

std::string Quoted(std::string_view s) {
  // Appended, not "'" + std::string(s): GCC 12 at -O3 reports a -Wrestrict false positive on
  // operator+(const char*, std::string&&) (GCC bug 105329).
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

void SchemaReader::Error(SourceMark mark, std::string message, std::vector<std::string> notes) {
  out_->push_back(Diagnostic{file_, mark, std::move(message), std::move(notes)});
  ++errors_;
}

std::string SchemaReader::Suggest(std::string_view name,
                                  const std::vector<std::string>& candidates) {
  if (suggest_budget_ < candidates.size()) return "";
  suggest_budget_ -= candidates.size();
  return SuggestName(name, candidates);
}

void SchemaReader::CheckKeys(Entries entries, Keys allowed, std::string_view where,
                             std::string_view target) {
  for (const Entry& entry : entries) {
    if (!entry.key->is_scalar()) {
      Error(entry.key->mark, "expected a key, found " + entry.key->Describe());
      continue;
    }
    const std::string_view key = entry.key->scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string suggestion =
        Suggest(key, std::vector<std::string>(allowed.begin(), allowed.end()));
    Error(
        entry.key->mark,
        "unknown key " + Quoted(key) + std::string(where) + (target.empty() ? "" : Quoted(target)),
        {suggestion.empty() ? "note: valid keys are: " + Join(allowed)
                            : "help: did you mean " + Quoted(suggestion) + "?"});
  }
}

void SchemaReader::TypeError(const YamlNode& node, std::string_view expected, std::string_view what,
                             std::vector<std::string> notes) {
  Error(node.mark,
        "expected " + std::string(expected) + " for " + Quoted(what) + ", found " + node.Describe(),
        std::move(notes));
}

std::optional<SchemaReader::Entries> SchemaReader::ExpectMapping(const YamlNode& node,
                                                                 std::string_view what) {
  if (node.is_mapping()) return node.entries();
  if (node.is_null()) return Entries();
  TypeError(node, "a mapping", what);
  return std::nullopt;
}

std::optional<SchemaReader::Items> SchemaReader::ExpectList(const YamlNode& node,
                                                            std::string_view what) {
  if (node.is_sequence()) return node.items();
  if (node.is_null()) return Items();
  std::vector<std::string> notes;
  if (node.is_scalar()) notes.push_back("help: write a list: [" + std::string(node.scalar()) + "]");
  TypeError(node, "a list", what, std::move(notes));
  return std::nullopt;
}

std::optional<std::string> SchemaReader::ExpectString(const YamlNode& node, std::string_view what) {
  if (node.is_scalar() && !node.is_null()) return std::string(node.scalar());
  TypeError(node, "a string", what);
  return std::nullopt;
}

std::optional<std::string> SchemaReader::ExpectText(const YamlNode& node, std::string_view what,
                                                    std::string_view item) {
  std::optional<std::string> s = ExpectString(node, what);
  if (s && IsBlank(*s)) {
    Error(node.mark, item.empty() ? Quoted(what) + " must not be empty"
                                  : "empty " + std::string(item) + " in " + Quoted(what));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> SchemaReader::ExpectInteger(const YamlNode& node,
                                                        std::string_view what) {
  if (node.is_scalar() && node.plain && !node.is_null() && node.Describe() == "an integer") {
    if (auto value = ParseInteger(node.scalar())) return value;
    Error(node.mark,
          "integer " + std::string(node.scalar()) + " for " + Quoted(what) + " is out of range");
    return std::nullopt;
  }
  std::vector<std::string> notes;
  if (node.is_scalar() && node.quoted && ParseInteger(node.scalar())) {
    notes.push_back("help: remove the quotes to make it an integer");
  }
  TypeError(node, "an integer", what, std::move(notes));
  return std::nullopt;
}

std::optional<bool> SchemaReader::ExpectBool(const YamlNode& node, std::string_view what) {
  if (node.is_scalar() && node.plain) {
    const std::string_view s = node.scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    static const std::set<std::string, std::less<>> kTrueWords = {"yes", "Yes", "YES", "on",
                                                                  "On",  "ON",  "y",   "Y"};
    static const std::set<std::string, std::less<>> kFalseWords = {"no",  "No",  "NO", "off",
                                                                   "Off", "OFF", "n",  "N"};
    if (kTrueWords.count(s) || kFalseWords.count(s)) {
      Error(node.mark, "expected true or false for " + Quoted(what) + ", found " + Quoted(s),
            {"help: write " + std::string(kTrueWords.count(s) ? "'true'" : "'false'") +
             "; YAML 1.1 words such as 'yes' and 'off' are not booleans here"});
      return std::nullopt;
    }
  }
  std::vector<std::string> notes;
  if (node.is_scalar() && node.quoted && (node.scalar() == "true" || node.scalar() == "false")) {
    notes.push_back("help: remove the quotes to make it a boolean");
  }
  TypeError(node, "true or false", what, std::move(notes));
  return std::nullopt;
}

std::optional<std::string> SchemaReader::ExpectEnum(const YamlNode& node, std::string_view what,
                                                    Keys values) {
  std::optional<std::string> s = ExpectString(node, what);
  if (!s) return std::nullopt;
  if (std::find(values.begin(), values.end(), *s) != values.end()) return s;
  std::string expected;
  for (std::size_t i = 0; i < values.size(); ++i) {
    expected += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + Quoted(values[i]);
  }
  const std::string suggestion =
      Suggest(*s, std::vector<std::string>(values.begin(), values.end()));
  std::vector<std::string> notes;
  if (!suggestion.empty()) notes.push_back("help: did you mean " + Quoted(suggestion) + "?");
  Error(node.mark, "invalid " + Quoted(what) + " value " + Quoted(*s) + "; expected " + expected,
        std::move(notes));
  return std::nullopt;
}

std::optional<std::int64_t> SchemaReader::ExpectAtLeast(const YamlNode& node, std::string_view what,
                                                        std::int64_t min) {
  std::optional<std::int64_t> value = ExpectInteger(node, what);
  if (value && *value < min) {
    Error(node.mark, Quoted(what) + " must be at least " + std::to_string(min) + ", found " +
                         std::to_string(*value));
    return std::nullopt;
  }
  return value;
}

/// A size greater than zero ("512M", "4G", bytes), or nullopt after an error.
std::optional<std::uint64_t> SchemaReader::ExpectSize(const YamlNode& node, std::string_view what) {
  std::optional<std::string> text = ExpectString(node, what);
  std::optional<std::uint64_t> bytes = text ? ParseByteSize(*text) : std::nullopt;
  if (text && !bytes) {
    Error(node.mark, "invalid size " + Quoted(*text) + " for " + Quoted(what),
          {"help: write bytes, or a number with a K, M, G or T suffix (powers of 1024), "
           "e.g. '512M', '4G'"});
    return std::nullopt;
  }
  if (bytes && *bytes == 0) {
    Error(node.mark, Quoted(what) + " must be greater than zero");
    return std::nullopt;
  }
  return bytes;
}

}  // namespace fanout
