// Safe artifact collection. A target declares its artifacts (glob.h dialect); each pattern is
// looked up in $FANOUT_OUT, then in the workspace. Paths that leave the directory they are
// looked up in (`..`, absolute paths, symlinks pointing outside) are rejected, resolution is
// enforced by the kernel (openat2 RESOLVE_BENEATH, and RESOLVE_NO_SYMLINKS for every directory
// on the way), collected files lose setuid bits and file capabilities, and only declared files
// stay in out/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout::sandbox {

/// What collection did. Runs where the workspace is visible (inside the namespaces sandbox,
/// after every sandboxed process is gone), so it is passed back as JSON.
struct CollectOutcome {
  std::vector<std::string> paths;    ///< declared artifacts now in out/, relative, sorted
  std::vector<std::string> errors;   ///< one line per missing or rejected artifact
  std::vector<std::string> removed;  ///< undeclared files removed from out/, sorted
};

/// The protections of artifact collection, each on by default. Turning one off exists only for
/// the protection tests' positive controls (src/sandbox/weaken.h: "resolve", "setuid").
struct ArtifactProtections {
  /// No lookup goes through a symlinked directory, in $FANOUT_OUT or the workspace, so no name
  /// from outside them is ever listed.
  bool no_symlinked_dirs = true;
  /// Collected artifacts lose setuid, setgid and group/other write bits and their
  /// `security.capability` attribute.
  bool strip_privileges = true;
  /// All on, except where the test-only switch turns one off.
  static ArtifactProtections Default();
};

/// Collects the artifacts matching `patterns` into `out_dir`: a match in `out_dir` stays (a
/// symlink that resolves inside is replaced by a copy of its target); otherwise matches in
/// `workspace` are copied in. Only regular files are artifacts (a FIFO, socket or device is an
/// error), and their names must be valid UTF-8. Every other entry in `out_dir` that is not a
/// directory is removed, without following symlinks.
CollectOutcome CollectArtifacts(const std::string& workspace, const std::string& out_dir,
                                const std::vector<std::string>& patterns);
/// CollectArtifacts with explicit protections.
CollectOutcome CollectArtifacts(const std::string& workspace, const std::string& out_dir,
                                const std::vector<std::string>& patterns,
                                const ArtifactProtections& protections);

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
