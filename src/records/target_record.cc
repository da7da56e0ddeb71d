#include "records/target_record.h"

#include "base/file_util.h"

namespace fanout::records {

const std::vector<Field<ArtifactRecord>>& ArtifactRecord::Fields() {
  using R = ArtifactRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("path", &R::path),
      Required("size", &R::size),
      Required("sha256", &R::sha256),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<ImageRecord>>& ImageRecord::Fields() {
  using R = ImageRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("manifest_digest", &R::manifest_digest),
      Required("config_digest", &R::config_digest),
      Required("size", &R::size),
      Required("layout", &R::layout),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<LandlockRecord>>& LandlockRecord::Fields() {
  using R = LandlockRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("abi", &R::abi),
      Required("restricts", &R::restricts),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<SandboxRecord>>& SandboxRecord::Fields() {
  using R = SandboxRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("tier", &R::tier),
      Required("fallback_reason", &R::fallback_reason),
      Required("landlock", &R::landlock),
      Required("limits", &R::limits),
      Required("limits_fallback_reason", &R::limits_fallback_reason),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<SourceRecord>>& SourceRecord::Fields() {
  using R = SourceRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("commit", &R::commit),
      Required("tree", &R::tree),
      Optional("dirty", &R::dirty),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<SuccessRecord>>& SuccessRecord::Fields() {
  using R = SuccessRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("target", &R::target),
      Required("status", &R::status),
      Required("exit_code", &R::exit_code),
      Required("attempts", &R::attempts),
      Required("started_at", &R::started_at),
      Required("finished_at", &R::finished_at),
      Required("duration_seconds", &R::duration_seconds),
      Required("source", &R::source),
      Required("input_digest", &R::input_digest),
      Required("sandbox", &R::sandbox),
      Required("artifacts", &R::artifacts),
      Required("log", &R::log),
      Optional("image", &R::image),
      Optional("action", &R::action),
      Optional("cached", &R::cached),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<FailureRecord>>& FailureRecord::Fields() {
  using R = FailureRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("target", &R::target),
      Required("status", &R::status),
      Required("exit_code", &R::exit_code),
      Required("signal", &R::signal),
      Required("attempts", &R::attempts),
      Required("duration_seconds", &R::duration_seconds),
      Optional("started_at", &R::started_at),
      Optional("finished_at", &R::finished_at),
      Required("message", &R::message),
      Required("log_tail", &R::log_tail),
      Required("sandbox", &R::sandbox),
  };
  // clang-format on
  return kFields;
}

std::string SuccessText(const SuccessRecord& r) { return ToText(r, kTargetRecordVersion); }
std::string FailureText(const FailureRecord& r) { return ToText(r, kTargetRecordVersion); }

Expected<SuccessRecord> ParseSuccess(const std::string& text, const std::string& path) {
  return FromText<SuccessRecord>(text, path, kTargetRecordVersion, kTargetRecordRemedy);
}
Expected<FailureRecord> ParseFailure(const std::string& text, const std::string& path) {
  return FromText<FailureRecord>(text, path, kTargetRecordVersion, kTargetRecordRemedy);
}

Expected<SuccessRecord> ReadSuccess(const std::string& path) {
  return ReadRecordFile<SuccessRecord>(path, kTargetRecordVersion, kTargetRecordRemedy);
}
Expected<FailureRecord> ReadFailure(const std::string& path) {
  return ReadRecordFile<FailureRecord>(path, kTargetRecordVersion, kTargetRecordRemedy);
}

Status WriteSuccess(const std::string& path, const SuccessRecord& r) {
  return WriteFileAtomically(path, SuccessText(r));
}
Status WriteFailure(const std::string& path, const FailureRecord& r) {
  return WriteFileAtomically(path, FailureText(r));
}

}  // namespace fanout::records
