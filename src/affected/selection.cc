#include "affected/selection.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "affected/affected.h"
#include "snapshot/snapshot.h"

namespace fanout {

Expected<Selection> SelectTargets(const Repository& repo, const Description& desc,
                                  const SelectionRequest& request) {
  Selection sel;
  if (!request.base) return sel;

  AffectedOptions opts;
  opts.base = *request.base;
  opts.head = request.head;
  opts.direct = request.direct;
  opts.on_missing_base_all = request.on_missing_base_all;
  opts.head_state = request.head_state;
  std::string root = repo.is_bare() ? "" : repo.workdir();
  if (!root.empty() && request.description_path.compare(0, root.size(), root) == 0) {
    opts.description_relpath = request.description_path.substr(root.size());
  }
  opts.exclude_dirs = BuildDirExclusion(repo, request.build_dir);
  auto affected = ComputeAffected(repo, desc, opts);
  if (!affected.ok()) return affected.error();
  if (affected->all_reason) {
    fmt::print(stderr, "fanout: warning: building every target: {}\n", *affected->all_reason);
  }

  // Dependencies of an affected target must be built too, since it consumes their artifacts.
  std::vector<std::string> names;
  for (const AffectedTarget& t : affected->affected) names.push_back(t.name);
  sel.selected = WithDependencies(desc, names);

  // The refs both ends depend on (a `git fetch` that moves `origin/main` reselects; so does a
  // commit on a branch nested below refs/heads), and the index.
  repo.AddRevisionFiles(*request.base, &sel.files_read);
  repo.AddRevisionFiles(request.head == "worktree" ? "HEAD" : request.head, &sel.files_read);
  const std::string index = repo.gitdir() + "index";
  // Only what exists: a missing depfile entry would keep the regeneration edge dirty forever.
  if (access(index.c_str(), F_OK) == 0) sel.files_read.push_back(index);
  // Compared with the work tree, the affected set changes with edits none of those files
  // sees: a skipped target becomes affected when one of its inputs is edited, added or
  // removed. So the files and directories the skipped targets' inputs match are watched too,
  // found as the snapshot step finds a planned target's (ComputeSnapshot), and a plain `ninja`
  // regenerates, and builds the newly affected target, after such an edit.
  if (request.head == "worktree") {
    const std::set<std::string> chosen(sel.selected->begin(), sel.selected->end());
    Plan skipped;
    skipped.source = "worktree";
    skipped.build_dir = request.build_dir;
    skipped.global_inputs = desc.global_inputs;
    for (const Target& t : desc.targets) {
      if (chosen.count(t.name)) continue;
      PlanTarget pt;
      pt.def = t;
      skipped.targets.push_back(std::move(pt));
    }
    if (!skipped.targets.empty()) {
      SourceState worktree;  // as the change detection just snapshotted it
      worktree.source = "worktree";
      worktree.tree = affected->head_tree;
      SnapshotOptions options;
      options.find_changes = false;  // only the files it reads are kept
      if (!worktree.tree.empty()) options.resolved = &worktree;
      auto watched = ComputeSnapshot(repo, skipped, options);
      if (!watched.ok()) return watched.error();
      sel.files_read.insert(sel.files_read.end(), watched->files_read.begin(),
                            watched->files_read.end());
      // That snapshot lists the refs and the index again.
      std::sort(sel.files_read.begin(), sel.files_read.end());
      sel.files_read.erase(std::unique(sel.files_read.begin(), sel.files_read.end()),
                           sel.files_read.end());
    }
  }
  return sel;
}

}  // namespace fanout
