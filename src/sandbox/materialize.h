// Materializing part of a git tree into a directory with libgit2: which files a target's
// workspace holds (its inputs plus the global inputs, or the whole tree), and a parallel blob
// writer that puts them on disk with the modes and symlinks git records.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/expected.h"
#include "git/git.h"

namespace fanout::sandbox {

/// What a workspace holds: the files matching `inputs` or `global_inputs` (glob.h dialect),
/// or the whole tree when `full`.
struct InputSelection {
  std::vector<std::string> inputs;
  std::vector<std::string> global_inputs;
  bool full = false;
};

/// The files of `tree` that `selection` picks, in git's tree order. Walks only the subtrees
/// the patterns can match. Errors name the bad pattern or the missing tree (exit code 3).
Expected<std::vector<TreeFile>> SelectFiles(const Repository& repo, const git_oid& tree,
                                            const InputSelection& selection);

/// Counters of one materialization.
struct WriteStats {
  std::size_t files = 0;
  std::size_t bytes = 0;
};

/// Writes `files` (from SelectFiles) under `dir`, which must be empty or absent: regular files
/// 0644 or 0755 as git records them, symlinks as symlinks, gitlinks as empty directories.
/// Uses up to `threads` threads: the calling one with `opened` when given (the repository at
/// `repo_path` the caller has open already: SelectFiles' own), each other with a Repository of
/// its own opened at `repo_path`.
/// A missing blob (a partial clone) is an error naming the path and the object (exit code 3).
Expected<WriteStats> WriteFiles(const RepoLocation& repo_path, const std::vector<TreeFile>& files,
                                const std::string& dir, int threads,
                                const Repository* opened = nullptr);

/// The number of writer threads worth using on this machine for `file_count` files.
int DefaultWriterThreads(std::size_t file_count);

}  // namespace fanout::sandbox
