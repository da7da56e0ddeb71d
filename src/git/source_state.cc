#include "git/source_state.h"

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/json_fields.h"

namespace fanout {
namespace {

/// The source.json format this fanout writes and reads.
constexpr int kSourceVersion = 1;

simdjson::error_code ReadOid(od::value v, std::string& out) {
  if (simdjson::error_code e = ReadString(v, out)) return e;
  return ParseOid(out) ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
}

// Sorted by key. The dirty fields are absent in files written before they were added: read as
// a clean build.
const JsonField<SourceState> kSourceFields[] = {
    {"changed_paths", false, false,
     [](const SourceState& s, JsonWriter& w) { w.StringArray(s.changed_paths); },
     [](od::value v, SourceState& s, FieldError&) { return ReadStringList(v, s.changed_paths); }},
    {"changed_paths_omitted", false, false,
     [](const SourceState& s, JsonWriter& w) { w.UInt(s.changed_paths_omitted); },
     [](od::value v, SourceState& s, FieldError&) {
       return ReadUInt64(v, s.changed_paths_omitted);
     }},
    {"commit", true, false,
     [](const SourceState& s, JsonWriter& w) {
       if (s.commit) {
         w.String(*s.commit);
       } else {
         w.Null();
       }
     },
     [](od::value v, SourceState& s, FieldError&) {
       bool null = false;
       if (simdjson::error_code e = v.is_null().get(null)) return e;
       if (null) return simdjson::SUCCESS;
       s.commit.emplace();
       return ReadOid(v, *s.commit);
     }},
    {"dirty", false, false, [](const SourceState& s, JsonWriter& w) { w.Bool(s.dirty); },
     [](od::value v, SourceState& s, FieldError&) { return ReadBool(v, s.dirty); }},
    {"source", true, false, [](const SourceState& s, JsonWriter& w) { w.String(s.source); },
     [](od::value v, SourceState& s, FieldError&) { return ReadString(v, s.source); }},
    {"tree", true, false, [](const SourceState& s, JsonWriter& w) { w.String(s.tree); },
     [](od::value v, SourceState& s, FieldError&) { return ReadOid(v, s.tree); }},
    // Absent in files written before it was added: those are version 1.
    {"version", false, false, [](const SourceState&, JsonWriter& w) { w.Int(kSourceVersion); },
     [](od::value v, SourceState&, FieldError& error) {
       return ReadVersion(v, kSourceVersion, error);
     }},
};

}  // namespace

std::string SourceStateToJson(const SourceState& state) {
  std::string out;
  JsonWriter w(&out, 2);
  WriteFields<SourceState>(kSourceFields, state, w);
  out.push_back('\n');
  return out;
}

Expected<SourceState> SourceStateFromJson(const std::string& text, const std::string& path) {
  auto invalid = [&path](std::string_view why) {
    return MakeError(fmt::format(
        "{}: not a valid source record ({}); run the build again (ninja, or 'fanout build'), "
        "whose snapshot step rewrites it",
        path, why));
  };
  SourceState state;
  FieldError error;
  if (!ReadJsonDocument<SourceState>(kSourceFields, text, state, error)) {
    return invalid(error.message);
  }
  return state;
}

Expected<SourceState> ReadSourceState(const std::string& build_dir) {
  const std::string path = build_dir + "/" + layout::kSource;
  auto text = ReadFile(path);
  if (!text.ok()) {
    return MakeError(fmt::format(
        "{}; the snapshot step writes it: run the build through ninja or 'fanout build'",
        text.error().message));
  }
  return SourceStateFromJson(*text, path);
}

}  // namespace fanout
