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

simdjson::error_code ReadVersion(od::value v, std::int64_t expected, FieldError& error) {
  std::int64_t version = 0;
  if (simdjson::error_code e = v.get_int64().get(version)) return e;
  if (version == expected) return simdjson::SUCCESS;
  error.message =
      fmt::format("version {} is not one this fanout reads (it reads {})", version, expected);
  return simdjson::INCORRECT_TYPE;
}

simdjson::error_code ReadBool(od::value v, bool& out) { return v.get_bool().get(out); }

}  // namespace fanout
