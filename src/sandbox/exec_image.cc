// What an image target adds to `fanout exec` (sandbox/exec.h; docs/images.md): the images of
// its dependencies, read from their OCI layouts; the build script that replaces the command;
// and the image record in result.json, read back from the layout the build left.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "image/buildah_build.h"
#include "image/docker_build.h"
#include "image/engines.h"
#include "image/oci_layout.h"
#include "sandbox/exec.h"
#include "sandbox/fs_util.h"

namespace fanout::sandbox {

static_assert(kMaxImageSecrets <= static_cast<std::size_t>(kMaxInheritedFds),
              "each secret needs a one-digit descriptor in the build script's shell");

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

Status Exec::PrepareImageEngine() {
  if (!def_->image || def_->image->engine != ImageEngine::kBuildah) return {};
  std::string why, subordinate_problem;
  subordinate_.reset();
  if (choice_.tier == Tier::kNamespaces && !identity_.active) {
    auto ids = FindSubordinateIds();
    if (ids.ok()) {
      subordinate_ = std::move(*ids);
    } else {
      subordinate_problem = ids.error().message;
    }
  }
  if (!image::BuildahRunsIn(choice_.tier == Tier::kNamespaces, identity_.active,
                            subordinate_problem, &why)) {
    return MakeError(fmt::format(
        "image target '{}' uses the buildah engine, which cannot build in this sandbox: {}; run "
        "fanout where namespaces are available, as root or as a user with a subordinate id "
        "range ('fanout doctor' shows the tier), or build it with 'engine: docker'",
        target_, why));
  }
  buildah_store_ = build_dir_ + "/" + layout::kBuildahStore;
  // The script names the store, the run root and the dependencies' layouts in references that
  // have no escapes ("oci:PATH" ends PATH at its first ':').
  std::vector<std::string> paths = {buildah_store_, ws_.tmp};
  for (const image::DependencyImage& dep : dep_images_) paths.push_back(dep.layout);
  for (const std::string& path : paths) {
    if (std::string problem = image::StorePathProblem(path); !problem.empty()) {
      return MakeError(fmt::format(
          "the buildah engine cannot build '{}' in this build directory: the path '{}' {}; use "
          "a build directory whose path has none of '+:[]@\"$`\\'",
          target_, path, problem));
    }
  }
  FANOUT_TRY(MakeDirs(buildah_store_));
  if (chmod(buildah_store_.c_str(), 0700) != 0) {
    return MakeError(fmt::format("cannot chmod '{}': {}", buildah_store_, std::strerror(errno)));
  }
  return owner_.Apply(buildah_store_);
}

Status Exec::OpenImageSecrets() {
  secrets_.clear();
  if (!def_->image || def_->image->secrets.empty()) return {};
  auto opened = OpenSecrets(def_->image->secrets, host_env_, target_);
  if (!opened.ok()) return opened.error();
  secrets_ = std::move(*opened);
  return {};
}

std::vector<int> Exec::SecretFds() const {
  std::vector<int> fds;
  for (const OpenSecret& secret : secrets_) fds.push_back(secret.fd.get());
  return fds;
}

std::string Exec::Command() const {
  if (!def_->image) return def_->command;
  std::vector<image::SecretFd> secrets;
  // The numbers the command gets them at (SandboxSpec::inherit_fds).
  int fd = kFirstInheritedFd;
  for (const OpenSecret& secret : secrets_) secrets.push_back({secret.id, fd++});
  if (def_->image->engine == ImageEngine::kBuildah) {
    return image::BuildahBuildScript(*def_, dep_images_, buildah_store_);
  }
  return image::DockerBuildScript(*def_, dep_images_, secrets);
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
