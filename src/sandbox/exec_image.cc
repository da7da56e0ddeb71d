// What an image target adds to `fanout exec` (sandbox/exec.h; docs/images.md): the images of
// its dependencies, read from their OCI layouts; the build script that replaces the command;
// and the image record in result.json, read back from the layout the build left.
#include <sys/stat.h>

#include <fmt/format.h>

#include "base/file_util.h"
#include "image/docker_build.h"
#include "image/oci_layout.h"
#include "sandbox/exec.h"

namespace fanout::sandbox {

Status Exec::ReadDependencyImages() {
  dep_images_.clear();
  if (!def_->image) return {};
  for (const auto& [dep, dir] : dep_outs_) {
    const std::string layout = dir + "/" + image::kImageDir;
    struct stat st;
    if (stat((layout + "/index.json").c_str(), &st) != 0) continue;  // not an image target
    auto read = image::ReadOciLayout(layout);
    if (!read.ok()) {
      return MakeError(fmt::format("the image of dependency '{}' cannot be read: {}; rebuild it",
                                   dep, read.error().message));
    }
    dep_images_.push_back(
        {dep, ws_.deps + "/" + dep + "/" + image::kImageDir, read->manifest_digest});
  }
  return {};
}

std::string Exec::Command() const {
  return def_->image ? image::DockerBuildScript(*def_, dep_images_) : def_->command;
}

std::vector<std::string> Exec::ArtifactPatterns() const {
  std::vector<std::string> patterns = def_->artifacts;
  if (def_->image) patterns.push_back(std::string(image::kImageDir) + "/**");
  return patterns;
}

Expected<std::optional<records::ImageRecord>> Exec::ReadBuiltImage() const {
  if (!def_->image) return std::optional<records::ImageRecord>();
  auto built = image::ReadOciLayout(out_dir_ + "/" + image::kImageDir);
  if (!built.ok()) {
    return MakeError(
        fmt::format("the image build of '{}' left no image: {}", target_, built.error().message));
  }
  return std::optional<records::ImageRecord>(records::ImageRecord{
      built->manifest_digest, built->config_digest, built->size, image::kImageDir});
}

}  // namespace fanout::sandbox
