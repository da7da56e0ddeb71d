#include "records/action_record.h"

#include "base/file_util.h"
#include "base/sha256.h"

namespace fanout::records {

const std::vector<Field<ActionRecord>>& ActionRecord::Fields() {
  using R = ActionRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("key", &R::key),
      Required("version", &R::version),
      Required("input_digest", &R::input_digest),
      Required("definition_digest", &R::definition_digest),
      Required("env_digest", &R::env_digest),
      Required("deps", &R::deps),
      Required("platform", &R::platform),
  };
  // clang-format on
  return kFields;
}

void ComputeActionKey(ActionRecord& a) {
  // Length-prefixed fields, so no two different sets of parts give the same text.
  Sha256 h;
  h.UpdateField("fanout-action");
  h.UpdateField(std::to_string(a.version));
  h.UpdateField(a.input_digest);
  h.UpdateField(a.definition_digest);
  h.UpdateField(a.env_digest);
  h.UpdateField(std::to_string(a.deps.size()));
  for (const auto& [name, digest] : a.deps) {
    h.UpdateField(name);
    h.UpdateField(digest);
  }
  h.UpdateField(a.platform);
  a.key = h.HexDigest();
}

std::string ResultDigest(const SuccessRecord& result) {
  Sha256 h;
  h.UpdateField("fanout-result-v1");
  h.UpdateField(std::to_string(result.artifacts.size()));
  for (const ArtifactRecord& a : result.artifacts) {
    h.UpdateField(a.path);
    h.UpdateField(a.sha256);
  }
  h.UpdateField(result.image ? result.image->manifest_digest : "");
  return h.HexDigest();
}

const std::vector<Field<CachedRecord>>& CachedRecord::Fields() {
  using R = CachedRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("store", &R::store),
      Required("where", &R::where),
      Required("original_duration_seconds", &R::original_duration_seconds),
      Required("original_finished_at", &R::original_finished_at),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<CacheEntryRecord>>& CacheEntryRecord::Fields() {
  using R = CacheEntryRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("target", &R::target),
      Required("action", &R::action),
      Required("attempts", &R::attempts),
      Required("duration_seconds", &R::duration_seconds),
      Required("finished_at", &R::finished_at),
      Required("source", &R::source),
      Required("sandbox", &R::sandbox),
      Optional("image", &R::image),
  };
  // clang-format on
  return kFields;
}

namespace {
constexpr const char* kCacheEntryRemedy =
    "the entry is discarded and the target runs; 'fanout cache verify' removes such entries";
}  // namespace

std::string CacheEntryText(const CacheEntryRecord& r) { return ToText(r, kActionKeyVersion); }

Expected<CacheEntryRecord> ParseCacheEntry(const std::string& text, const std::string& where) {
  return FromText<CacheEntryRecord>(text, where, kActionKeyVersion, kCacheEntryRemedy);
}

}  // namespace fanout::records
