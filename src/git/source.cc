#include "git/source.h"

#include <fmt/format.h>

#include "base/exit_codes.h"

namespace fanout {

std::vector<std::string> BuildDirExclusion(const Repository& repo, const std::string& build_dir) {
  if (repo.is_bare()) return {};
  std::string root = repo.workdir();
  if (!root.empty() && root.back() == '/') root.pop_back();
  if (build_dir.size() > root.size() + 1 && build_dir.compare(0, root.size(), root) == 0 &&
      build_dir[root.size()] == '/') {
    std::string rel = build_dir.substr(root.size() + 1);
    while (!rel.empty() && rel.back() == '/') rel.pop_back();
    if (!rel.empty()) return {rel};
  }
  return {};
}

Status RequireWorkTree(const Repository& repo, std::string_view option) {
  if (!repo.is_bare()) return {};
  return MakeError(
      fmt::format("the repository '{}' is bare, so it has no work tree to read; pass {} REV "
                  "with the revision to use",
                  repo.root(), option),
      kExitUsage);
}

Expected<SourceState> ResolveSource(const Repository& repo, const std::string& source,
                                    std::string_view option,
                                    const std::vector<std::string>& exclude_dirs) {
  SourceState state;
  state.source = source;
  if (source == "worktree") {
    FANOUT_TRY(RequireWorkTree(repo, option));
    auto snap = SnapshotWorktree(repo, exclude_dirs);
    if (!snap.ok()) return snap.error();
    state.tree = OidToString(snap->tree);
    if (snap->head) state.commit = OidToString(*snap->head);
    state.dirty_submodules = std::move(snap->dirty_submodules);
    return state;
  }
  auto commit = repo.ResolveCommit(source);
  if (!commit.ok()) return commit.error();
  auto tree = repo.CommitTree(*commit);
  if (!tree.ok()) return tree.error();
  state.commit = OidToString(*commit);
  state.tree = OidToString(*tree);
  return state;
}

git_oid SourceTree(const SourceState& state) {
  std::optional<git_oid> oid = ParseOid(state.tree);
  return oid ? *oid : git_oid{};
}

std::string DirtySubmoduleWarnings(const SourceState& state) {
  std::string out;
  for (const std::string& sub : state.dirty_submodules) {
    out += fmt::format(
        "fanout: warning: the submodule '{}' has changes no commit of it holds; fanout sees "
        "only the commit checked out in it, so those changes affect no target: commit them in "
        "the submodule\n",
        sub);
  }
  return out;
}

}  // namespace fanout
