// What the action cache (docs/cache.md) records about a target: the parts its action key is
// made of (result.json's `action`, so `fanout explain` can say which part changed), where a
// restored result came from (result.json's `cached`), and the entry a cache keeps beside the
// target's files (CacheEntryRecord, the `.fanout/record.json` output of the cached action).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/expected.h"
#include "records/field_table.h"
#include "records/target_record.h"

namespace fanout::records {

/// Fills `action.key` from its other fields.
void ComputeActionKey(ActionRecord& action);

/// What a dependent sees of a succeeded target: its artifacts (path and sha256) and image.
std::string ResultDigest(const SuccessRecord& result);

/// The record a cache keeps for one action, beside the target's files and log.
struct CacheEntryRecord {
  std::string target;
  ActionRecord action;
  int attempts = 1;
  double duration_seconds = 0;
  double finished_at = 0;  ///< unix seconds
  SourceRecord source;     ///< what the run that made it was built from
  SandboxRecord sandbox;   ///< how it was isolated
  std::optional<ImageRecord> image;
  static const std::vector<Field<CacheEntryRecord>>& Fields();
  bool operator==(const CacheEntryRecord&) const = default;
};

/// The text of a cache entry, and reading it back (`where` names it in errors).
std::string CacheEntryText(const CacheEntryRecord& r);
Expected<CacheEntryRecord> ParseCacheEntry(const std::string& text, const std::string& where);

}  // namespace fanout::records
