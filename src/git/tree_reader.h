// A TreeFileReader (base/glob.h) over a git tree: what derived inputs read when they are
// computed for a revision or a work-tree snapshot.
#pragma once

#include <git2.h>

#include "base/glob.h"
#include "git/git.h"

namespace fanout {

/// Reads files of `tree` in `repo` (which must outlive the reader) and lists the regular files
/// under a directory, each with its blob id; symlinks and submodules are not listed.
TreeFileReader TreeReader(const Repository& repo, const git_oid& tree);

}  // namespace fanout
