// What each target's inputs select from a tree: the compiled filters and the subtrees they lie
// in, and the listing of a tree under those subtrees.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/glob.h"
#include "description/description.h"
#include "git/git.h"

namespace fanout {

/// Every target's input filter (its inputs and the global inputs), compiled once, and the
/// subtrees those inputs lie in.
struct CompiledInputs {
  struct Entry {
    std::string name;
    PathFilter filter;
  };
  std::vector<Entry> targets;         ///< sorted by name
  std::vector<std::string> prefixes;  ///< sorted, unique: each include's Glob::walk_root()
                                      ///< ("" is the whole tree), "" for a full checkout
  /// The filter of the target `name`, or nullptr.
  const PathFilter* Find(std::string_view name) const;
};

/// Compiles the inputs of `targets` (a target whose patterns do not compile, which validation
/// reports, has no filter and makes the prefixes the whole tree). `read` reads the tree the
/// paths will come from (for an image target's .dockerignore, base/dockerignore.h).
CompiledInputs CompileInputs(const std::vector<Target>& targets,
                             const std::vector<std::string>& global_inputs,
                             const TreeFileReader& read = nullptr);

/// Every file of `tree` at or under one of `prefixes`, sorted by path.
Expected<std::vector<TreeFile>> ListTreeUnder(const Repository& repo, const git_oid& tree,
                                              const std::vector<std::string>& prefixes);

/// The patterns that select `t`'s inputs: its own, then the global ones (copied into
/// `scratch` when there are global ones).
const std::vector<std::string>& InputPatterns(const Target& t,
                                              const std::vector<std::string>& global_inputs,
                                              std::vector<std::string>* scratch);

/// Adds the subtrees that hold `t`'s inputs (matched by `filter`) to `prefixes`: each include
/// pattern's walk root ("" for one that starts with a wildcard, the whole tree), and the whole
/// tree for a full checkout, which sees all of it.
void AddInputPrefixes(const Target& t, const PathFilter& filter,
                      std::vector<std::string>* prefixes);

/// Sorts `v` and drops repeats.
void SortUnique(std::vector<std::string>* v);

}  // namespace fanout
