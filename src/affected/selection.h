// Which targets a build builds: all of them, or with --base only those a change affects
// (and, since they run first, everything those depend on).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "description/description.h"
#include "git/git.h"
#include "git/source.h"

namespace fanout {

/// What the user asked for.
struct SelectionRequest {
  std::optional<std::string> base;  ///< none: build everything
  std::string head = "worktree";    ///< the source: "worktree" or a revision
  /// `head` as the caller resolved it (git/source.h); for a work tree, resolved here.
  std::optional<SourceState> head_state;
  bool direct = false;
  bool on_missing_base_all = false;
  std::string description_path;  ///< absolute
  std::string build_dir;         ///< absolute
};

/// The selected targets.
struct Selection {
  /// Targets to build (affected ones plus their dependencies); nullopt means all.
  std::optional<std::vector<std::string>> selected;
  /// Files whose change may change the selection (for the regeneration depfile).
  std::vector<std::string> files_read;
};

/// Computes the selection; git errors are exit-3 Errors.
Expected<Selection> SelectTargets(const Repository& repo, const Description& desc,
                                  const SelectionRequest& request);

}  // namespace fanout
