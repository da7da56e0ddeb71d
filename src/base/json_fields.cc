#include "base/json_fields.h"

#include <limits>

#include <fmt/format.h>

namespace fanout {

simdjson::error_code ReadString(od::value v, std::string& out) {
  std::string_view s;
  if (simdjson::error_code e = v.get_string().get(s)) return e;
  out.assign(s);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadStringList(od::value v, std::vector<std::string>& out) {
  od::array array;
  if (simdjson::error_code e = v.get_array().get(array)) return e;
  out.clear();
  for (auto item : array) {
    std::string_view s;
    if (simdjson::error_code e = item.get_string().get(s)) return e;
    out.emplace_back(s);
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadInt(od::value v, int& out) {
  std::int64_t n = 0;
  if (simdjson::error_code e = v.get_int64().get(n)) return e;
  if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
    return simdjson::NUMBER_OUT_OF_RANGE;
  }
  out = static_cast<int>(n);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadInt64(od::value v, std::int64_t& out) { return v.get_int64().get(out); }

simdjson::error_code ReadUInt64(od::value v, std::uint64_t& out) { return v.get_uint64().get(out); }

void PrepareJsonParser() { (void)simdjson::get_active_implementation()->name(); }

simdjson::error_code ReadVersion(od::value v, std::int64_t expected, FieldError& error) {
  std::int64_t version = 0;
  if (simdjson::error_code e = v.get_int64().get(version)) return e;
  if (version == expected) return simdjson::SUCCESS;
  error.message =
      fmt::format("version {} is not one this fanout reads (it reads {})", version, expected);
  return simdjson::INCORRECT_TYPE;
}

simdjson::error_code ReadBool(od::value v, bool& out) { return v.get_bool().get(out); }

simdjson::error_code CheckJsonValue(od::value v, int depth) {
  // Deeper than any record fanout writes: refused rather than followed on the stack.
  if (depth > 64) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (simdjson::error_code e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::array: {
      od::array array;
      if (simdjson::error_code e = v.get_array().get(array)) return e;
      for (auto element : array) {
        od::value item;
        if (simdjson::error_code e = element.get(item)) return e;
        if (simdjson::error_code e = CheckJsonValue(item, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object object;
      if (simdjson::error_code e = v.get_object().get(object)) return e;
      for (auto member : object) {
        od::field field;
        std::string_view key;
        if (simdjson::error_code e = std::move(member).get(field)) return e;
        if (simdjson::error_code e = field.unescaped_key().get(key)) return e;
        if (simdjson::error_code e = CheckJsonValue(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number:
      return v.get_number().error();
    case od::json_type::string:
      return v.get_string().error();
    case od::json_type::boolean:
      return v.get_bool().error();
    case od::json_type::null: {
      bool null = false;
      if (simdjson::error_code e = v.is_null().get(null)) return e;
      return null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace fanout
