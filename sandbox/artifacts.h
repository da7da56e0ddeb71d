// Safe artifact collection. A target declares its artifacts (glob.h dialect); each pattern is
// looked up in $FANOUT_OUT, then in the workspace. Paths that leave the directory they are
// looked up in (`..`, absolute paths, symlinks pointing outside) are rejected, resolution is
// enforced by the kernel (openat2 RESOLVE_BENEATH), and only declared files stay in out/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/expected.h"

namespace fanout::sandbox {

/// What collection did. Runs where the workspace is visible (inside the namespaces sandbox,
/// after every sandboxed process is gone), so it is passed back as JSON.
struct CollectOutcome {
  std::vector<std::string> paths;    ///< declared artifacts now in out/, relative, sorted
  std::vector<std::string> errors;   ///< one line per missing or rejected artifact
  std::vector<std::string> removed;  ///< undeclared files removed from out/, sorted
};

/// Collects the artifacts matching `patterns` into `out_dir`: a match in `out_dir` stays (a
/// symlink that resolves inside is replaced by a copy of its target); otherwise matches in
/// `workspace` are copied in. Every other file in `out_dir` is removed.
CollectOutcome CollectArtifacts(const std::string& workspace, const std::string& out_dir,
                                const std::vector<std::string>& patterns);

std::string CollectOutcomeToJson(const CollectOutcome& outcome);
Expected<CollectOutcome> CollectOutcomeFromJson(const std::string& text);

/// One collected artifact, as result.json lists it.
struct Artifact {
  std::string path;  ///< relative to out/
  std::uint64_t size = 0;
  std::string sha256;  ///< hex
};

/// Sizes and SHA-256 digests of `paths` under `out_dir`; each must be a regular file reached
/// without symlinks.
Expected<std::vector<Artifact>> HashArtifacts(const std::string& out_dir,
                                              const std::vector<std::string>& paths);

}  // namespace fanout::sandbox
