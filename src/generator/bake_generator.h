// Writes a docker-bake.json (the JSON form of `docker buildx bake`) for a plan's image
// targets, for teams that keep bake alongside fanout. It carries what bake can express: the
// context, Dockerfile, build args, stage, platform, tags and cache sources of each image, and
// each `{image:DEP}` build argument as a named context that bake builds first. What fanout adds
// (change detection, the sandbox, the manifest) is not in it; docs/images.md compares the two.
#pragma once

#include <optional>
#include <string>

#include "base/expected.h"
#include "plan/plan.h"

namespace fanout {

/// The file name `fanout gen --format bake` writes in the build directory.
inline constexpr const char* kBakeFileName = "docker-bake.json";

/// The docker-bake.json text for the image targets of `plan`, byte-for-byte deterministic
/// (targets and keys sorted, two-space indent). Paths are relative to the repository root, so
/// bake runs from there (`docker buildx bake -f BUILD/docker-bake.json`). In tags, `{target}` is
/// the target's name, `{commit}` and `{short}` become the bake variables `${FANOUT_COMMIT}` and
/// `${FANOUT_SHORT}`, whose defaults are `commit` (empty without one: set them in the
/// environment), and a tag with `{digest}` is left out: the digest exists only after the build.
/// A `{image:DEP}` in a build argument becomes `fanout.invalid/DEP`, with the named context
/// `"fanout.invalid/DEP": "target:DEP"`. Every other `${` and `%{` is escaped for bake.
/// Errors: a plan without image targets.
Expected<std::string> GenerateBake(const Plan& plan, const std::optional<std::string>& commit);

}  // namespace fanout
