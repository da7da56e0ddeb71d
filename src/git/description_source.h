// Where a description comes from: the file on disk, or (for bare repositories and committed
// revisions) the file as committed in git.
#pragma once

#include <optional>
#include <string>

#include "base/expected.h"
#include "description/loader.h"
#include "git/git.h"
#include "git/source.h"

namespace fanout {

/// `path` relative to `root` (both made absolute and canonical as far as they exist), or
/// nullopt when it lies outside.
std::optional<std::string> RelativeTo(const std::string& path, const std::string& root);

/// Where the description lives inside the repository ("" when outside it). In a bare
/// repository `file` names that path directly (an absolute path is an error).
Expected<std::string> DescriptionRelPath(const Repository& repo, const std::string& file);

/// Loads the description under `relpath` in the resolved revision `at` (git/source.h);
/// diagnostics name `display`. A missing file is an error naming the revision.
Expected<LoadResult> LoadDescriptionAtRevision(const Repository& repo, const SourceState& at,
                                               const std::string& relpath,
                                               const std::string& display);

}  // namespace fanout
