// The description's input patterns checked against the files of the source being built, by
// `fanout gen`, `fanout build` and `fanout check`: a pattern reaching into a submodule is an
// error, a pattern matching no file a warning (an error with --strict), and a Git LFS pointer
// file among a target's inputs a warning.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "description/description.h"
#include "git/git.h"
#include "git/source.h"

namespace fanout {

/// Checks every include pattern written in `desc` (described by `file`, whose text is
/// `source`) against the files of `revision`'s tree, or, when it is nullopt, of the work tree
/// (the files git's index tracks, then the untracked files git does not ignore), and warns
/// about the LFS pointer files among the targets' inputs. Prints the diagnostics to stderr;
/// returns false when one of them is an error.
bool CheckInputPatterns(const Repository& repo, const std::optional<SourceState>& revision,
                        const Description& desc, const std::string& file, std::string_view source,
                        bool strict);

}  // namespace fanout
