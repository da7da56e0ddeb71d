#include "snapshot/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/glob.h"
#include "base/sha256.h"
#include "base/sort_by_name.h"
#include "base/unique_fd.h"
#include "git/changed_paths.h"
#include "git/source_state.h"
#include "git/tree_reader.h"
#include "plan/depfile.h"

namespace fanout {

namespace {

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool PathExists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

/// Adds `dir` and each of its ancestors (relative paths, "" is the root) to `dirs`.
void AddDirAndAncestors(std::string dir, std::set<std::string>* dirs) {
  for (;;) {
    if (!dirs->insert(dir).second) return;
    if (dir.empty()) return;
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
}

/// Indices of `files` (sorted by path) that lie at or under `prefix`.
template <class Fn>
void ForEachUnder(const std::vector<TreeFile>& files, const std::string& prefix, Fn fn) {
  auto by_path = [](const TreeFile& f, const std::string& p) { return f.path < p; };
  if (prefix.empty()) {
    for (size_t i = 0; i < files.size(); ++i) fn(i);
    return;
  }
  // The path itself, then "prefix/" .. "prefix0" ('0' sorts right after '/'): every path
  // from the first at or after `prefix` that starts with it and goes on with '/'.
  auto it = std::lower_bound(files.begin(), files.end(), prefix, by_path);
  if (it != files.end() && it->path == prefix) fn(it++ - files.begin());
  auto under = [&](const std::string& path) {
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0;
  };
  // Paths that start with `prefix` and go on with a byte below '/' sort before the ones
  // under it ("a-b" and "a.b" before "a/"): skip them.
  while (it != files.end() && under(it->path) && it->path[prefix.size()] < '/') ++it;
  for (; it != files.end() && under(it->path) && it->path[prefix.size()] == '/'; ++it) {
    fn(it - files.begin());
  }
}

/// The description's path relative to the work tree root, or "" when it lies outside.
std::string DescriptionInRepo(const Plan& plan) {
  const std::string root = plan.repo_root + "/";
  if (plan.description_path.size() > root.size() && plan.description_path.starts_with(root)) {
    return plan.description_path.substr(root.size());
  }
  return "";
}

/// Sets `state`'s dirty fields: the paths that differ between HEAD's tree (none on an unborn
/// branch) and the snapshot's `files` (sorted by path) and that matter to the plan: a file a
/// target read (`read`, by index into `files`), a deleted path a target's filter matches, the
/// description, or any path when `any_full` (a target checks out the whole tree).
Status MarkUncommittedChanges(const Repository& repo, const Plan& plan,
                              const std::vector<TreeFile>& files, const std::vector<bool>& read,
                              const std::vector<const PathFilter*>& filters, bool any_full,
                              SourceState* state) {
  state->dirty = false;
  state->changed_paths.clear();
  state->changed_paths_omitted = 0;
  const git_oid tree = *ParseOid(state->tree);
  std::vector<ChangedPath> changed;
  if (state->commit) {
    auto head_tree = repo.CommitTree(*ParseOid(*state->commit));
    if (!head_tree.ok()) return head_tree.error();
    if (git_oid_equal(&*head_tree, &tree)) return {};
    auto diff = DiffTrees(repo, *head_tree, tree);
    if (!diff.ok()) return diff.error();
    changed = std::move(*diff);
  } else {
    // No commit at all: everything the targets read is uncommitted.
    state->dirty = true;
    for (const TreeFile& f : files) changed.push_back({f.path, 'A'});
  }
  const std::string description = DescriptionInRepo(plan);
  auto by_path = [](const TreeFile& f, const std::string& p) { return f.path < p; };
  for (const ChangedPath& c : changed) {
    bool matters = any_full || c.path == description;
    if (!matters && c.status != 'D') {
      // In the snapshot: it matters when some target read it.
      auto it = std::lower_bound(files.begin(), files.end(), c.path, by_path);
      matters = it != files.end() && it->path == c.path && read[it - files.begin()];
    } else if (!matters) {
      // Gone from the work tree: it matters when a target would have read it.
      matters = std::any_of(filters.begin(), filters.end(),
                            [&](const PathFilter* f) { return f && f->Matches(c.path); });
    }
    if (!matters) continue;
    state->dirty = true;
    if (state->changed_paths.size() < kMaxChangedPaths) {
      state->changed_paths.push_back(c.path);
    } else {
      ++state->changed_paths_omitted;
    }
  }
  return {};
}

}  // namespace

void AddSourceFilesRead(const Repository& repo, const std::string& source,
                        std::vector<std::string>* files) {
  repo.AddRevisionFiles(source == "worktree" ? "HEAD" : source, files);
  const std::string index = repo.gitdir() + "index";
  if (PathExists(index)) files->push_back(index);
}

Expected<SnapshotResult> ComputeSnapshot(const Repository& repo, const Plan& plan,
                                         const SnapshotOptions& options) {
  const StampIndex* previous = options.previous;
  const SourceState* resolved = options.resolved;
  SnapshotResult result;
  if (resolved) {
    result.state = *resolved;
  } else {
    auto state =
        ResolveSource(repo, plan.source, "--source", BuildDirExclusion(repo, plan.build_dir));
    if (!state.ok()) return state.error();
    result.state = std::move(*state);
  }
  git_oid tree = *ParseOid(result.state.tree);

  // Digests that cannot have changed: same tree, same definition.
  std::vector<const StampIndex::Entry*> reuse(plan.targets.size(), nullptr);
  std::size_t reused = 0;
  if (previous && plan.source != "worktree" && previous->tree() == result.state.tree) {
    for (size_t ti = 0; ti < plan.targets.size(); ++ti) {
      const StampIndex::Entry* e = previous->Find(plan.targets[ti].def.name);
      if (e && !e->definition.empty() && e->definition == plan.targets[ti].definition_digest) {
        reuse[ti] = e;
        ++reused;
      }
    }
  }

  // Compile every other target's filter and collect the subtrees to walk.
  std::vector<PathFilter> compiled(plan.targets.size());
  std::vector<const PathFilter*> filters(plan.targets.size(), nullptr);
  std::vector<std::string> prefixes;
  std::vector<std::string> scratch;
  for (size_t ti = 0; ti < plan.targets.size(); ++ti) {
    if (reuse[ti]) continue;
    const PlanTarget& t = plan.targets[ti];
    if (options.compiled) filters[ti] = options.compiled->Find(t.def.name);
    if (!filters[ti]) {
      auto filter = PathFilter::Compile(InputPatterns(t.def, plan.global_inputs, &scratch),
                                        TreeReader(repo, tree));
      if (!filter.ok()) {
        return MakeError(fmt::format("target '{}': bad input pattern: {}; run 'fanout check'",
                                     t.def.name, filter.error().message));
      }
      compiled[ti] = std::move(*filter);
      filters[ti] = &compiled[ti];
    }
    AddInputPrefixes(t.def, *filters[ti], &prefixes);
  }
  SortUnique(&prefixes);
  std::vector<TreeFile> walked;
  if (reused < plan.targets.size() && !options.listed) {
    auto listed = ListTreeUnder(repo, tree, prefixes);
    if (!listed.ok()) return listed.error();
    walked = std::move(*listed);
  }
  const std::vector<TreeFile>& files = options.listed ? *options.listed : walked;

  std::vector<bool> read(files.size(), false);
  std::vector<size_t> matched;
  result.digests.reserve(plan.targets.size());
  for (size_t ti = 0; ti < plan.targets.size(); ++ti) {
    const PlanTarget& t = plan.targets[ti];
    if (reuse[ti]) {
      result.digests.push_back({t.def.name, std::string(reuse[ti]->digest), t.definition_digest});
      continue;
    }
    Sha256 h;
    h.UpdateField(kInputDigestVersion);
    h.UpdateField(t.definition_digest);
    if (t.def.checkout == Checkout::kFull) {
      h.UpdateField(result.state.tree);
    }
    matched.clear();
    for (const Glob& g : filters[ti]->includes()) {
      ForEachUnder(files, g.walk_root(), [&](size_t i) {
        if (filters[ti]->Matches(files[i].path)) matched.push_back(i);
      });
    }
    std::sort(matched.begin(), matched.end());
    matched.erase(std::unique(matched.begin(), matched.end()), matched.end());
    for (size_t i : matched) {
      read[i] = true;
      h.UpdateField(files[i].path);
      char mode[12];
      h.UpdateField(
          {mode, static_cast<size_t>(std::to_chars(mode, mode + sizeof mode,
                                                   static_cast<unsigned>(files[i].mode), 8)
                                         .ptr -
                                     mode)});
      char oid[GIT_OID_HEXSZ];
      git_oid_fmt(oid, &files[i].oid);
      h.UpdateField({oid, sizeof oid});
    }
    result.digests.push_back({t.def.name, h.HexDigest(), t.definition_digest});
  }
  // Plans list targets by name; the index is written (and searched) in that order.
  if (!std::is_sorted(result.digests.begin(), result.digests.end())) {
    std::sort(result.digests.begin(), result.digests.end());
  }

  bool any_full = false;
  for (const PlanTarget& t : plan.targets) any_full |= t.def.checkout == Checkout::kFull;
  if (plan.source == "worktree" && options.find_changes) {
    FANOUT_TRY(MarkUncommittedChanges(repo, plan, files, read, filters, any_full, &result.state));
  }

  // What Ninja must watch to know when to rerun this step.
  AddSourceFilesRead(repo, plan.source, &result.files_read);
  if (plan.source == "worktree") {
    std::string workdir = repo.workdir();  // ends with '/'
    std::set<std::string> dirs;
    for (size_t i = 0; i < files.size(); ++i) {
      if (!read[i] && !any_full) continue;
      result.files_read.push_back(workdir + files[i].path);
      if (files[i].mode == GIT_FILEMODE_COMMIT) {
        // A submodule's entry is the commit checked out in it: what moves its HEAD.
        if (auto sub = Repository::Open(workdir + files[i].path); sub.ok()) {
          sub->AddRevisionFiles("HEAD", &result.files_read);
        }
      }
      size_t slash = files[i].path.rfind('/');
      AddDirAndAncestors(slash == std::string::npos ? "" : files[i].path.substr(0, slash), &dirs);
    }
    // Where a new file could appear: each pattern's walk root, or its nearest ancestor.
    for (const std::string& p : prefixes) {
      std::string d = p;
      while (!d.empty() && !IsDir(workdir + d)) {
        size_t slash = d.rfind('/');
        d = slash == std::string::npos ? "" : d.substr(0, slash);
      }
      AddDirAndAncestors(d, &dirs);
    }
    // The build directory is never part of the source, and every build writes into it: listed
    // (as a pattern's walk root, or the ancestor of one), it would be newer than the stamp
    // after every run, and no build would ever be a no-op.
    const std::vector<std::string> build_dir = BuildDirExclusion(repo, plan.build_dir);
    for (const std::string& d : dirs) {
      if (std::any_of(build_dir.begin(), build_dir.end(), [&](const std::string& b) {
            return d == b || (d.size() > b.size() && d.starts_with(b) && d[b.size()] == '/');
          })) {
        continue;
      }
      std::string full = d.empty() ? workdir.substr(0, workdir.size() - 1) : workdir + d;
      result.files_read.push_back(full);
    }
  }
  return result;
}

}  // namespace fanout
