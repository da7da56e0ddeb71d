// Which images `fanout publish` pushes, and where: read from a gathered manifest.json.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "publish/reference.h"
#include "records/manifest.h"

namespace fanout::publish {

/// One image and every reference it goes to.
struct ImagePush {
  std::string target;
  std::string layout;  ///< the OCI layout, absolute
  std::string digest;  ///< its manifest digest
  /// The repositories its tags name, each once, in the order of the tags: pushed by digest.
  std::vector<std::string> repositories;
  std::vector<ImageReference> tags;
};

/// The pushes for every image target of `manifest` that succeeded (succeeded, flaky or
/// cached) and has tags, in manifest order. Targets that failed, were skipped as unaffected, or
/// are not images are left out; so is an image without tags (it names no repository: its name
/// goes to `untagged`). An error names the manifest, the target and the tag that is not a
/// valid reference.
Expected<std::vector<ImagePush>> PlanPushes(const records::Manifest& manifest,
                                            const std::string& manifest_path,
                                            const std::string& build_dir,
                                            std::vector<std::string>* untagged);

}  // namespace fanout::publish
