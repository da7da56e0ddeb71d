// A record's fields listed once: each field's JSON key, whether a file must have it, and how to
// write and read its value. plan.json's plan and target objects are read and written through
// such tables (plan/plan_json.cc, plan/target_fields.cc), so a field cannot be written without
// being read back, or read without being written.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "base/json_writer.h"

namespace fanout {

namespace od = simdjson::ondemand;

/// Why reading an object through a field table failed.
struct FieldError {
  std::string message;  ///< "'key' is missing", "'key' has the wrong type (...)" ...
  /// The simdjson error behind it, the innermost one for a nested object; SUCCESS when a
  /// member is missing.
  simdjson::error_code json_error = simdjson::SUCCESS;
  /// Whether the document can still be read after this error: a member of the wrong type or
  /// a missing one leaves simdjson's iterator usable (an object can be reset and searched
  /// again); broken JSON text abandons it, and touching it again is undefined behaviour.
  bool DocumentReadable() const {
    return json_error == simdjson::SUCCESS || json_error == simdjson::INCORRECT_TYPE ||
           json_error == simdjson::NUMBER_OUT_OF_RANGE;
  }
};

namespace detail {
/// `before` + `key` + `after`, built by appending into a new string: GCC 12 at -O3 reports
/// -Wrestrict false positives (GCC bug 105329) on `"'" + std::string(key)` and on assigning
/// a literal to a string that already holds text, both of which these messages were.
inline std::string KeyMessage(std::string_view before, std::string_view key,
                              std::string_view after) {
  std::string m;
  m.reserve(before.size() + key.size() + after.size());
  m.append(before).append(key).append(after);
  return m;
}
}  // namespace detail

template <class Record>
struct JsonField {
  std::string_view key;
  bool required = true;
  /// Part of the record's identity for change detection (the definition digest of a target);
  /// false for where it came from and for what is derived from the rest.
  bool defines = false;
  void (*write)(const Record&, JsonWriter&);
  /// Reads the member's value into the record; an error code when it has the wrong type. A
  /// reader of a nested object sets the FieldError to say which of its members is wrong.
  simdjson::error_code (*read)(od::value, Record&, FieldError&);
};

/// Writes `record` as an object with every field of `fields`, in the table's order.
template <class Record>
void WriteFields(std::span<const JsonField<Record>> fields, const Record& record, JsonWriter& w) {
  w.BeginObject();
  for (const JsonField<Record>& f : fields) {
    w.Key(f.key);
    f.write(record, w);
  }
  w.EndObject();
}

/// Reads the members of `object` into `record` through `fields`; members the table does not
/// know are passed over (a newer fanout may add some). Returns false and sets `error` when a
/// required member is missing, a member appears twice or a member's value has the wrong type.
/// Reads `v` to its end, checking that it is valid JSON, for a value nothing else reads.
simdjson::error_code CheckJsonValue(od::value v, int depth = 0);

template <class Record>
bool ReadFields(std::span<const JsonField<Record>> fields, od::object object, Record& record,
                FieldError& error) {
  std::uint64_t seen = 0;  // tables hold fewer than 64 fields
  for (auto member : object) {
    od::field field;
    std::string_view key;
    if (simdjson::error_code e = std::move(member).get(field)) {
      error.message = "a member is not valid JSON";
      error.json_error = e;
      return false;
    }
    if (simdjson::error_code e = field.unescaped_key().get(key)) {
      error.message = "a member is not valid JSON";
      error.json_error = e;
      return false;
    }
    std::size_t i = 0;
    while (i < fields.size() && fields[i].key != key) ++i;
    // A member the table does not know (a newer fanout's) is passed over, but read through:
    // On-Demand would skip its value without checking the grammar, and a broken document
    // could then read as a record here and be refused elsewhere (found by fuzz/fuzz_plan_json).
    if (i == fields.size()) {
      if (simdjson::error_code e = CheckJsonValue(field.value())) {
        error.message = detail::KeyMessage("'", key, "' is not valid JSON");
        error.json_error = e;
        return false;
      }
      continue;
    }
    // A key twice is refused: which one counts would differ between readers (a whole read
    // keeps the last, an edge's lookup of its target's name finds the first; found by
    // fuzz/fuzz_plan_json). fanout never writes one.
    if (seen & (std::uint64_t{1} << i)) {
      error.message = detail::KeyMessage("'", key, "' appears twice");
      return false;
    }
    seen |= std::uint64_t{1} << i;
    FieldError nested;
    if (simdjson::error_code e = fields[i].read(field.value(), record, nested)) {
      // A nested reader reports INCORRECT_TYPE for any failure inside; its FieldError
      // keeps the real cause.
      error.json_error = nested.json_error != simdjson::SUCCESS ? nested.json_error : e;
      error.message = nested.message.empty()
                          ? detail::KeyMessage("'", key,
                                               std::string("' has the wrong type (") +
                                                   simdjson::error_message(e) + ")")
                          : detail::KeyMessage("in '", key, "': " + nested.message);
      return false;
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].required && !(seen & (std::uint64_t{1} << i))) {
      error.message = detail::KeyMessage("'", fields[i].key, "' is missing");
      return false;
    }
  }
  return true;
}

/// Parses `text` as one JSON object and reads it into `record` through `fields` (see
/// ReadFields); false with `error` set when it is not valid JSON, not an object, or not such a
/// record.
template <class Record>
bool ReadJsonDocument(std::span<const JsonField<Record>> fields, const std::string& text,
                      Record& record, FieldError& error) {
  const simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  od::object object;
  simdjson::error_code e = parser.iterate(padded).get(doc);
  if (!e) e = doc.get_object().get(object);
  if (e) {
    error.message = simdjson::error_message(e);
    return false;
  }
  return ReadFields(fields, object, record, error);
}

/// Reads a `version` member that must be `expected` (the one format this fanout reads).
simdjson::error_code ReadVersion(od::value v, std::int64_t expected, FieldError& error);

/// Lets simdjson choose its implementation for this CPU now (it asks the CPU by CPUID, a trap
/// to the hypervisor in a virtual machine), so that processes forked after it (the exec
/// server's workers) do not each choose again on their first parse.
void PrepareJsonParser();

// Readers of the value types plan.json uses, for the tables' `read` functions.
simdjson::error_code ReadString(od::value v, std::string& out);
simdjson::error_code ReadStringList(od::value v, std::vector<std::string>& out);
simdjson::error_code ReadInt(od::value v, int& out);
simdjson::error_code ReadInt64(od::value v, std::int64_t& out);
simdjson::error_code ReadUInt64(od::value v, std::uint64_t& out);
simdjson::error_code ReadBool(od::value v, bool& out);

}  // namespace fanout
