#include "src/selection.h"

#include <unistd.h>

#include <fmt/format.h>

#include "src/affected.h"

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
  std::string root = repo.is_bare() ? "" : repo.workdir();
  if (!root.empty() && request.description_path.compare(0, root.size(), root) == 0) {
    opts.description_relpath = request.description_path.substr(root.size());
  }
  if (!root.empty() && request.build_dir.compare(0, root.size(), root) == 0) {
    opts.exclude_dirs.push_back(request.build_dir.substr(root.size()));
  }
  auto affected = ComputeAffected(repo, desc, opts);
  if (!affected.ok()) return affected.error();
  if (affected->all_reason) {
    fmt::print(stderr, "fanout: warning: building every target: {}\n", *affected->all_reason);
  }

  // Dependencies of an affected target must be built too, since it consumes their artifacts.
  std::vector<std::string> names;
  for (const AffectedTarget& t : affected->affected) names.push_back(t.name);
  sel.selected = WithDependencies(desc, names);

  const std::string gitdir = repo.gitdir();
  for (const char* f : {"HEAD", "index", "packed-refs", "refs/heads", "refs/tags"}) {
    // Only what exists: a missing depfile entry would keep the regeneration edge dirty forever.
    if (access((gitdir + f).c_str(), F_OK) == 0) sel.files_read.push_back(gitdir + f);
  }
  return sel;
}

}  // namespace fanout
