// The files git's index lists (what `git ls-files -s` shows): each path with its mode and
// object id, gitlinks (submodules) included.
#pragma once

#include <vector>

#include "base/expected.h"
#include "git/git.h"

namespace fanout {

/// Every entry of the index of `repo`'s work tree (stage 0 and conflicts alike, each path
/// once), sorted by path. Read from the index file, not the repository's shared index object.
Expected<std::vector<TreeFile>> IndexFiles(const Repository& repo);

/// The paths of `files` that are gitlinks (submodules), in the order given.
std::vector<std::string> GitlinkPaths(const std::vector<TreeFile>& files);

}  // namespace fanout
