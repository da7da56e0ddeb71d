// A streaming writer of compact JSON, for the large documents fanout writes on every
// generation (plan.json holds every target). Building a nlohmann::json tree first and dumping
// it cost a third of `fanout gen`; this appends straight to a string. The output is exactly
// what nlohmann::json::dump(indent) gives for the same document when the caller writes each
// object's keys in sorted order, or nlohmann::ordered_json's when in insertion order
// (tests/base/json_writer_test.cc checks that).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fanout {

class JsonWriter {
 public:
  /// Compact output, or with `indent` >= 0 one member a line, indented that many spaces a
  /// level (as dump(indent)).
  explicit JsonWriter(std::string* out, int indent = -1) : out_(out), indent_(indent) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  /// The next member's key (inside an object).
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(std::int64_t v);
  void UInt(std::uint64_t v);
  void Bool(bool v);
  void Null();
  void StringArray(const std::vector<std::string>& items);

  /// Bytes written so far (where the next byte goes).
  std::size_t size() const { return out_->size(); }

 private:
  void Separate();
  void NewLine(std::size_t depth);
  void End(char close);

  std::string* out_;
  int indent_;
  /// Per open container: whether it has a member yet.
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

/// `s` as a JSON string literal, quotes included, escaped as nlohmann::json does (control
/// characters, '"' and '\\'; other bytes as they are).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace fanout
