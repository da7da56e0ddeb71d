// A build of uncommitted changes, said where it matters: in CI, where such a build is usually a
// mistake (a step that edits tracked files before the build, a generated file left out of
// .gitignore), `fanout build` warns, with GitHub Actions' `::warning::` form there so the
// warning shows on the run's page. The manifest records it either way (docs/ci.md).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "git/source.h"

namespace fanout {

/// How many changed paths a warning names; the rest are counted.
inline constexpr std::size_t kDirtyWarningPaths = 5;

/// Whether this process runs in CI: $CI or $GITHUB_ACTIONS is "true" (`getenv` returns
/// nullptr for an unset variable).
bool RunsInCi(const std::function<const char*(const char*)>& getenv);

/// The warning for `state` when it is dirty and this runs in CI, else nullopt: how many paths
/// differ from which commit, the first kDirtyWarningPaths of them, and (when not zero) how many
/// image tags naming the commit were left out. One line; in GitHub Actions
/// ($GITHUB_ACTIONS=true) a `::warning::` workflow command, escaped as GitHub requires.
std::optional<std::string> DirtyBuildWarning(const SourceState& state,
                                             const std::function<const char*(const char*)>& getenv,
                                             std::size_t dropped_tags);

}  // namespace fanout
