#include "records/import_record.h"

#include "base/file_util.h"

namespace fanout::records {

namespace {

constexpr const char* kRemedy = "run 'fanout build --from DIR... TARGET...' again";

}  // namespace

const std::vector<Field<ImportRecord>>& ImportRecord::Fields() {
  using R = ImportRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("from", &R::from),
      Required("targets", &R::targets),
  };
  // clang-format on
  return kFields;
}

std::string ImportRecordText(const ImportRecord& r) { return ToText(r, kImportRecordVersion); }

Expected<ImportRecord> ParseImportRecord(const std::string& text, const std::string& path) {
  return FromText<ImportRecord>(text, path, kImportRecordVersion, kRemedy);
}

Expected<ImportRecord> ReadImportRecord(const std::string& path) {
  return ReadRecordFile<ImportRecord>(path, kImportRecordVersion, kRemedy);
}

Status WriteImportRecord(const std::string& path, const ImportRecord& r) {
  return WriteFileAtomically(path, ImportRecordText(r));
}

}  // namespace fanout::records
