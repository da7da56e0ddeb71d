#include "records/run_records.h"

#include "base/file_util.h"

namespace fanout::records {

const std::vector<Field<BuildRecord>>& BuildRecord::Fields() {
  using R = BuildRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("started_at", &R::started_at),
      Required("finished_at", &R::finished_at),
      Required("fail_fast", &R::fail_fast),
      Required("keep_going", &R::keep_going),
      Required("requested", &R::requested),
      Required("interrupted", &R::interrupted),
      Required("ninja_exit_code", &R::ninja_exit_code),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<PostSubmitRecord>>& PostSubmitRecord::Fields() {
  using R = PostSubmitRecord;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("status", &R::status),
      Required("command", &R::command),
      Required("exit_code", &R::exit_code),
      Required("signal", &R::signal),
      Required("started_at", &R::started_at),
      Required("finished_at", &R::finished_at),
      Required("duration_seconds", &R::duration_seconds),
      Required("message", &R::message),
      Required("log", &R::log),
      Required("log_tail", &R::log_tail),
      Required("manifest_sha256", &R::manifest_sha256),
      Optional("artifacts_sha256", &R::artifacts_sha256),
  };
  // clang-format on
  return kFields;
}

std::string BuildRecordText(const BuildRecord& r) { return ToText(r, kRunRecordVersion); }
std::string PostSubmitRecordText(const PostSubmitRecord& r) { return ToText(r, kRunRecordVersion); }

Expected<BuildRecord> ParseBuildRecord(const std::string& text, const std::string& path) {
  return FromText<BuildRecord>(text, path, kRunRecordVersion, kRunRecordRemedy);
}
Expected<PostSubmitRecord> ParsePostSubmitRecord(const std::string& text, const std::string& path) {
  return FromText<PostSubmitRecord>(text, path, kRunRecordVersion, kRunRecordRemedy);
}

Status WriteBuildRecord(const std::string& build_dir, const BuildRecord& r) {
  return WriteFileAtomically(build_dir + "/" + kBuildRecordPath, BuildRecordText(r));
}
Status WritePostSubmitRecord(const std::string& build_dir, const PostSubmitRecord& r) {
  return WriteFileAtomically(build_dir + "/" + kPostSubmitRecordPath, PostSubmitRecordText(r));
}

}  // namespace fanout::records
