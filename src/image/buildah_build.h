// The buildah engine's build of an image target (docs/images.md): a shell script that runs in
// the target's sandbox, so its network, limits and timeout apply to the build itself. buildah
// keeps its layers in a store shared by the build directory's image targets (containers/storage
// locks it; each edge has its own run root in its private $TMPDIR, since mounts are private to a
// sandbox). Each dependency's image is copied from its OCI layout into the store under its
// content-keyed name (image/docker_build.h, DaemonReference), the build never pulls, and the
// result is pushed as an OCI layout into $FANOUT_OUT/image.
#pragma once

#include <string>
#include <vector>

#include "description/description.h"
#include "image/docker_build.h"

namespace fanout::image {

/// The storage driver of the buildah store; skopeo names it too when it copies into the store.
inline constexpr const char* kBuildahDriver = "overlay";

/// Why `path` cannot name the buildah store or a run root in a containers-storage reference
/// ("[driver@root+runroot]", which has no escapes); "" when it can.
std::string StorePathProblem(const std::string& path);

/// The script that builds `target`'s image (target.image must be set) with buildah, its layers
/// in the store at `store` (an absolute path, writable in the sandbox).
std::string BuildahBuildScript(const Target& target, const std::vector<DependencyImage>& deps,
                               const std::string& store);

}  // namespace fanout::image
