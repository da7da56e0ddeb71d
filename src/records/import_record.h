// BUILD/.fanout/import.json: what `fanout build --from DIR... TARGET...` hands to the edges it
// runs (docs/sharding.md, "Tiers"): the directories an earlier tier's jobs left (each an action
// cache directory) and the targets this build must take from them instead of running. Ninja's
// edges find it through $FANOUT_IMPORT, which only that build sets, so a plain `ninja` in the
// directory afterwards runs every target as usual.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "records/field_table.h"

namespace fanout::records {

inline constexpr int kImportRecordVersion = 1;
/// Where `fanout build --from` writes it, relative to the build directory.
inline constexpr const char* kImportRecordPath = ".fanout/import.json";
/// The variable that names the record's absolute path to `fanout exec`.
inline constexpr const char* kImportVariable = "FANOUT_IMPORT";

struct ImportRecord {
  std::vector<std::string> from;     ///< absolute paths of the earlier tiers' directories
  std::vector<std::string> targets;  ///< sorted: the targets taken from them, never run
  static const std::vector<Field<ImportRecord>>& Fields();
  bool operator==(const ImportRecord&) const = default;
};

std::string ImportRecordText(const ImportRecord& r);
/// Parses import.json text read from `path` (named in errors).
Expected<ImportRecord> ParseImportRecord(const std::string& text, const std::string& path);
/// Reads the record at `path`.
Expected<ImportRecord> ReadImportRecord(const std::string& path);
/// Writes the record to `path` atomically.
Status WriteImportRecord(const std::string& path, const ImportRecord& r);

}  // namespace fanout::records
