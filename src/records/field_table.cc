#include "records/field_table.h"

#include <fmt/format.h>

#include "base/file_util.h"

namespace fanout::records {

std::string VersionedText(Json fields, int version) {
  fields["version"] = version;
  return fields.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Expected<Json> ParseVersioned(const std::string& text, const std::string& path, int version,
                              std::string_view remedy) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(fmt::format("{}: not valid JSON; {}", path, remedy));
  if (!j.is_object()) return MakeError(fmt::format("{}: not a JSON object; {}", path, remedy));
  auto v = j.find("version");
  if (v == j.end()) {
    return MakeError(
        fmt::format("{}: the field 'version' is missing (expected {}; written by "
                    "another version of fanout?); {}",
                    path, version, remedy));
  }
  if (!v->is_number_integer() || v->get<std::int64_t>() != version) {
    return MakeError(fmt::format("{}: unsupported version {} (this fanout reads version {}); {}",
                                 path, v->dump(), version, remedy));
  }
  return j;
}

Error FieldError(const std::string& path, const FieldProblem& problem, std::string_view remedy) {
  return MakeError(
      fmt::format("{}: the field '{}' {}; {}", path, problem.field, problem.problem, remedy));
}

Expected<std::string> ReadRecordText(const std::string& path, std::string_view remedy) {
  auto text = ReadFile(path);
  if (!text.ok()) return MakeError(fmt::format("{}; {}", text.error().message, remedy));
  return text;
}

}  // namespace fanout::records
