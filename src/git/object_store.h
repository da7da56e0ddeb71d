// The object database fanout gives every repository it opens: the repository's own objects
// (loose, packed, and its alternates) read-only, never written and never "freshened" (libgit2
// touches the mtime of an object it is asked to write again); new objects (a work-tree
// snapshot's blobs and trees) go to a store fanout owns: memory, or a loose-object directory in
// the build directory that later processes of the same build read (layout::kObjectStore). So
// fanout never writes into the user's repository, whoever it runs as.
#pragma once

#include <git2.h>

#include <string>

#include "base/expected.h"

namespace fanout {

/// Replaces `repo`'s object database with one that reads the repository's objects read-only
/// and writes new objects to `store_dir` (a loose-object directory, created when first
/// written), or to memory when `store_dir` is empty.
Status IsolateObjectDatabase(git_repository* repo, const std::string& store_dir);

}  // namespace fanout
