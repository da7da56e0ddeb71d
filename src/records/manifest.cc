#include "records/manifest.h"

#include "base/file_util.h"

namespace fanout::records {

const std::vector<Field<ManifestSource>>& ManifestSource::Fields() {
  using R = ManifestSource;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("source", &R::source),
      Required("commit", &R::commit),
      Required("tree", &R::tree),
      Optional("dirty", &R::dirty),
      Optional("changed_paths", &R::changed_paths),
      Optional("changed_paths_omitted", &R::changed_paths_omitted),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<ManifestArtifact>>& ManifestArtifact::Fields() {
  using R = ManifestArtifact;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("path", &R::path),
      Required("size", &R::size),
      Required("sha256", &R::sha256),
      Required("gathered", &R::gathered),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<PushedReference>>& PushedReference::Fields() {
  using R = PushedReference;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("reference", &R::reference),
      Required("digest", &R::digest),
      Required("state", &R::state),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<ManifestImage>>& ManifestImage::Fields() {
  using R = ManifestImage;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("manifest_digest", &R::manifest_digest),
      Required("config_digest", &R::config_digest),
      Required("size", &R::size),
      Required("layout", &R::layout),
      Required("tags", &R::tags),
      Optional("pushed", &R::pushed),
      Optional("dropped_tags", &R::dropped_tags),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<ManifestTarget>>& ManifestTarget::Fields() {
  using R = ManifestTarget;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("name", &R::name),
      Required("tier", &R::tier),
      Required("status", &R::status),
      Optional("message", &R::message),
      Optional("exit_code", &R::exit_code),
      Optional("attempts", &R::attempts),
      Optional("duration_seconds", &R::duration_seconds),
      Optional("started_at", &R::started_at),
      Optional("finished_at", &R::finished_at),
      Optional("source", &R::source),
      Optional("input_digest", &R::input_digest),
      Optional("sandbox", &R::sandbox),
      Optional("log", &R::log),
      Optional("artifacts", &R::artifacts),
      Optional("image", &R::image),
      Optional("change", &R::change),
      Optional("imported_from", &R::imported_from),
  };
  // clang-format on
  return kFields;
}

bool ManifestTarget::Succeeded() const {
  return IsSuccess(status) && status != TargetStatus::kSkipped && artifacts.has_value();
}

const std::vector<Field<ManifestTimings>>& ManifestTimings::Fields() {
  using R = ManifestTimings;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("wall_seconds", &R::wall_seconds),
      Required("busy_seconds", &R::busy_seconds),
  };
  // clang-format on
  return kFields;
}

const std::vector<Field<Manifest>>& Manifest::Fields() {
  using R = Manifest;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("source", &R::source),
      Required("targets", &R::targets),
      Required("skipped", &R::skipped),
      Required("status", &R::status),
      Required("timings", &R::timings),
  };
  // clang-format on
  return kFields;
}

std::string ManifestText(const Manifest& m) { return ToText(m, kManifestVersion); }

Expected<Manifest> ParseManifest(const std::string& text, const std::string& path) {
  return FromText<Manifest>(text, path, kManifestVersion, kManifestRemedy);
}

Expected<Manifest> ReadManifest(const std::string& path) {
  return ReadRecordFile<Manifest>(path, kManifestVersion, kManifestRemedy);
}

Status WriteManifest(const std::string& path, const Manifest& m) {
  return WriteFileAtomically(path, ManifestText(m));
}

}  // namespace fanout::records
