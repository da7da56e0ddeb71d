// Where the build directory is, and whether fanout may use it (docs/build-directory.md, "Where
// the build directory is" and "A build directory must not hide source files").
#pragma once

#include <string>

#include "base/expected.h"
#include "git/git.h"

namespace fanout {

/// The build directory when neither -B nor the description's `build_dir` names one, relative
/// to the work tree's root. A name no repository uses for its own files (as Buck's `buck-out`
/// and Bazel's `bazel-out`), unlike `build/` or `out/`.
inline constexpr const char* kDefaultBuildDir = "fanout-out";

/// The build directory of a command that reads the description: `flag` (-B, as given) when
/// set, else `desc_build_dir` (kDefaultBuildDir when empty) under the work tree `workdir`
/// (under the current directory when `workdir` is empty: a bare repository). Relative to the
/// current directory when under it, else absolute.
std::string ChooseBuildDir(const std::string& flag, const std::string& desc_build_dir,
                           const std::string& workdir);

/// The build directory of a command that reads no description (report, publish, matrix,
/// doctor...): `flag` when set, else what ChooseBuildDir picks for the description that
/// LocateDescription finds, read quietly (one that does not load sets no `build_dir`), in the
/// repository holding it; with no description there, kDefaultBuildDir in the work tree that
/// holds the current directory, or in the current directory.
std::string BuildDirForReading(const std::string& flag);

/// `path` relative to the current directory when under it, else as it is: for messages.
std::string ShownPath(const std::string& path);

/// Refuses (exit 2) a build directory `build_dir` (absolute) inside `repo`'s work tree that
/// git tracks paths in (fanout would trust them as its own state and overwrite them), or that
/// already holds files that are not fanout's while git does not ignore it (fanout's
/// `.gitignore` would hide them from git). `shown` is the directory as the user named it.
Status CheckBuildDirSafe(const Repository& repo, std::string build_dir, const std::string& shown);

/// Creates `build_dir` (absolute) and its internal directory. When fanout creates it, or finds
/// it empty or already fanout's, writes `.gitignore` ("*") in it if missing, as Meson does, so
/// the build directory stays out of `git status` with no entry in the repository's ignore
/// files; it never writes one among files that are not fanout's.
Status PrepareBuildDir(const std::string& build_dir);

}  // namespace fanout
