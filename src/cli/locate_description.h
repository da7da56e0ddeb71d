// Where the description is when -f is not given: like git finding .git, fanout looks for
// fanout.yaml in the current directory and then in its parents, up to the repository's root.
#pragma once

#include <string>

#include "base/expected.h"
#include "cli/cli.h"
#include "git/git.h"

namespace fanout {

/// The description's file name, looked for when -f is not given.
inline constexpr const char* kDescriptionFileName = "fanout.yaml";

/// The description to read when -f is not given: "fanout.yaml" when the current directory
/// holds one, else the nearest fanout.yaml in a parent directory, searching up to and including
/// the first directory that holds `.git` (the work tree's root), as a path relative to the
/// current directory ("../../fanout.yaml"). When there is none, "fanout.yaml" (whose loading
/// then reports the missing file).
std::string LocateDescription();

/// The repository a command reads the description `opts.file` for: --repo when given, else the
/// one at or above the description's directory. When there is none, the error says what to do:
/// the description is missing, or lies outside any repository (pass --repo DIR).
Expected<Repository> OpenDescriptionRepo(const CommonOptions& opts);

}  // namespace fanout
