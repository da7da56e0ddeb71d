// `fanout publish`: pushes every image a build made to the references its tags name, in
// parallel, and records what each reference holds in manifest.json (docs/images.md,
// "Publishing"; docs/cli.md).
#pragma once

#include <string>

#include "base/expected.h"
#include "publish/registry.h"

namespace fanout::publish {

struct PublishOptions {
  std::string build_dir;
  /// Pushes at once; 0: the depth of the description's `publish` pool, else 4.
  int jobs = 0;
  RegistryAccess access;  ///< tmpdir is chosen by RunPublish
  /// Push the images that built even when the build as a whole failed.
  bool allow_failed = false;
};

/// Pushes, prints one line per image, updates the manifest; returns the exit code (0, or 1
/// when a push failed). An error when nothing could be tried (no manifest, a failed build
/// without allow_failed, a tag that is not a reference, another publish running).
Expected<int> RunPublish(PublishOptions options);

}  // namespace fanout::publish
