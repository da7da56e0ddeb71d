#include "affected/affected.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "description/loader.h"
#include "git/filter_index.h"
#include "git/tree_reader.h"
#include "plan/plan.h"
#include "snapshot/inputs.h"

namespace fanout {

namespace {

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

/// Appends the fallback to a base error that does not already offer it.
Error WithFallbackHint(Error e) {
  if (e.message.find("--on-missing-base") == std::string::npos) {
    e.message += "; or pass --on-missing-base=all to treat every target as affected";
  }
  return e;
}

/// Fills affected/unaffected/tiers from per-target reasons (empty: not affected), adding a
/// "dep" reason to every dependent of an affected target, in dependency order.
void Finish(const Description& desc, std::vector<std::vector<AffectReason>> reasons,
            AffectedResult* r) {
  const std::vector<int> full = TargetTiers(desc);
  std::vector<size_t> order(desc.targets.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return full[a] < full[b]; });

  std::vector<int> tier(desc.targets.size(), -1);  // -1: not affected
  for (size_t i : order) {
    std::vector<std::string> deps = desc.targets[i].deps;
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    // "all" says everything there is to say; deps would only repeat it.
    const bool all = !reasons[i].empty() && reasons[i].front().kind == "all";
    std::vector<AffectReason> dep_reasons;
    int t = 0;
    for (const std::string& d : deps) {
      const std::optional<size_t> j = desc.IndexOf(d);
      if (!j || tier[*j] < 0) continue;
      t = std::max(t, tier[*j] + 1);
      if (all) continue;
      AffectReason reason;
      reason.kind = "dep";
      reason.target = d;
      dep_reasons.push_back(std::move(reason));
    }
    if (reasons[i].empty() && dep_reasons.empty()) continue;
    tier[i] = t;
    // Order as in the JSON contract: inputs, deps, globals, description.
    auto first_global = std::find_if(reasons[i].begin(), reasons[i].end(),
                                     [](const AffectReason& x) { return x.kind != "input"; });
    reasons[i].insert(first_global, dep_reasons.begin(), dep_reasons.end());
  }

  for (size_t i = 0; i < desc.targets.size(); ++i) {
    const std::string& name = desc.targets[i].name;
    if (tier[i] < 0) {
      r->unaffected.push_back(name);
      continue;
    }
    r->affected.push_back(AffectedTarget{name, tier[i], std::move(reasons[i])});
    if (r->tiers.size() <= static_cast<size_t>(tier[i])) r->tiers.resize(tier[i] + 1);
    r->tiers[tier[i]].push_back(name);
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(r->affected.begin(), r->affected.end(), by_name);
  std::sort(r->unaffected.begin(), r->unaffected.end());
  for (auto& names : r->tiers) std::sort(names.begin(), names.end());
}

/// Every target affected with one reason of kind "all", no diff.
AffectedResult AllAffected(const Description& desc, AffectedResult r, std::string why) {
  r.all = true;
  r.all_reason = std::move(why);
  r.compared.clear();
  r.changed_paths.clear();
  std::vector<std::vector<AffectReason>> reasons(desc.targets.size());
  for (auto& v : reasons) v.push_back(AffectReason{"all", "", "", "", 0, ""});
  Finish(desc, std::move(reasons), &r);
  return r;
}

/// Resolves the commit the diff starts from; `*base_sha` gets the base's sha once known.
Expected<git_oid> ResolveCompared(const Repository& repo, const AffectedOptions& opts,
                                  const std::optional<git_oid>& head_commit,
                                  std::string* base_sha) {
  auto base = repo.ResolveCommit(opts.base);
  if (!base.ok()) return base.error();
  *base_sha = OidToString(*base);
  if (opts.direct) return *base;
  if (!head_commit) {
    return MakeError(fmt::format("HEAD has no commit yet, so it has no merge base with '{}'; "
                                 "pass --direct to compare '{}' with the work tree",
                                 opts.base, opts.base),
                     kExitGit);
  }
  auto mb = repo.MergeBase(*base, *head_commit);
  if (!mb.ok()) {
    if (repo.IsShallow()) {
      // libgit2 walks into the missing parents of the shallow boundary and reports a missing
      // object; what the user needs to know is that the history is cut short.
      return MakeError(fmt::format("no merge base of '{}' and '{}' in the fetched history: the "
                                   "clone is shallow; run 'git fetch --deepen=100' (or 'git "
                                   "fetch --unshallow') or pass --on-missing-base=all",
                                   opts.base, opts.head == "worktree" ? "HEAD" : opts.head),
                       kExitGit);
    }
    return MakeError(fmt::format("base '{}': {}", opts.base, mb.error().message), kExitGit);
  }
  return *mb;
}

/// Diffs the description at `compared_tree` against `head_desc`. Returns a reason when every
/// target is affected; otherwise adds a "description" reason to each changed target.
Expected<std::optional<std::string>> DescriptionChange(
    const Repository& repo, const git_oid& compared_tree, const std::string& compared,
    const Description& head_desc, const std::string& relpath,
    std::vector<std::vector<AffectReason>>* reasons) {
  auto text = repo.ReadFileAt(compared_tree, relpath);
  if (!text.ok()) return text.error();
  if (!*text) {
    return std::optional<std::string>(
        fmt::format("the description '{}' does not exist at {}", relpath, Short(compared)));
  }
  LoadResult base = LoadDescriptionText(**text, relpath);
  if (!base.description) {
    return std::optional<std::string>(
        fmt::format("the description '{}' at {} does not load, so it cannot be compared", relpath,
                    Short(compared)));
  }
  std::vector<std::string> changed;
  if (auto all = DiffDescriptions(*base.description, head_desc, &changed)) {
    return std::optional<std::string>(fmt::format("{} in '{}'", *all, relpath));
  }
  for (const std::string& name : changed) {
    (*reasons)[*head_desc.IndexOf(name)].push_back(AffectReason{"description", "", "", "", 0, ""});
  }
  return std::optional<std::string>();
}

/// Adds an "input" reason to each target whose inputs match a changed path, and collects the
/// changed paths that match a global input into `*globals`. An image target's .dockerignore
/// is read from `head_tree`: a change to it is itself a change to an input.
Status MatchChangedPaths(const Repository& repo, const git_oid& head_tree, const Description& desc,
                         const std::vector<ChangedPath>& changed,
                         std::vector<std::vector<AffectReason>>* reasons,
                         std::vector<AffectReason>* globals) {
  // A full checkout sees the whole tree, so every change is a change to its input (as the
  // snapshot's input digest has it).
  static const std::vector<std::string> kWholeTree = {"**"};
  std::vector<const std::vector<std::string>*> lists;
  lists.reserve(desc.targets.size() + 1);
  for (const Target& t : desc.targets) {
    lists.push_back(t.checkout == Checkout::kFull ? &kWholeTree : &t.inputs);
  }
  lists.push_back(&desc.global_inputs);
  const size_t global = desc.targets.size();
  FilterIndex index(std::move(lists), TreeReader(repo, head_tree));
  std::vector<FilterIndex::Match> matches;
  for (const ChangedPath& c : changed) {
    matches.clear();
    if (Status st = index.MatchAll(c.path, &matches); !st.ok()) {
      return MakeError("the description has an invalid pattern: " + st.error().message);
    }
    for (const FilterIndex::Match& m : matches) {
      AffectReason reason{m.filter == global ? "global" : "input",
                          c.path,
                          m.pattern ? m.pattern->pattern() : "",
                          "",
                          c.status,
                          m.pattern ? m.pattern->origin() : ""};
      (m.filter == global ? *globals : (*reasons)[m.filter]).push_back(std::move(reason));
    }
  }
  return {};
}

}  // namespace

const AffectedTarget* AffectedResult::Find(const std::string& name) const {
  auto it =
      std::lower_bound(affected.begin(), affected.end(), name,
                       [](const AffectedTarget& t, const std::string& n) { return t.name < n; });
  return it != affected.end() && it->name == name ? &*it : nullptr;
}

std::optional<std::string> DiffDescriptions(const Description& base, const Description& head,
                                            std::vector<std::string>* changed) {
  if (base.version != head.version) return "the description version changed";
  if (base.pools != head.pools) return "the pools changed";
  if (base.global_inputs != head.global_inputs) return "the global inputs changed";
  auto digest = [](Target t) {
    std::sort(t.deps.begin(), t.deps.end());
    return DefinitionDigest(t, {});
  };
  for (const Target& t : head.targets) {
    const Target* old = base.FindTarget(t.name);
    if (!old || digest(*old) != digest(t)) changed->push_back(t.name);
  }
  std::sort(changed->begin(), changed->end());
  return std::nullopt;
}

std::vector<std::string> WithDependencies(const Description& desc,
                                          const std::vector<std::string>& names) {
  std::set<std::string> keep;
  std::vector<std::string> stack(names.begin(), names.end());
  while (!stack.empty()) {
    std::string name = std::move(stack.back());
    stack.pop_back();
    if (!keep.insert(name).second) continue;
    if (const Target* t = desc.FindTarget(name)) {
      stack.insert(stack.end(), t->deps.begin(), t->deps.end());
    }
  }
  return {keep.begin(), keep.end()};
}

namespace {

/// A base that cannot be used for want of history (exit 3): the error, with what to fetch, or,
/// with on_missing_base_all, the reason every target is affected.
Expected<std::string> MissingBase(const Repository& repo, const AffectedOptions& opts, Error e) {
  if (e.message.find(opts.base) == std::string::npos) {
    e.message = fmt::format("base '{}': {}", opts.base, e.message);
  }
  if (repo.IsShallow() && e.message.find("shallow") == std::string::npos) {
    e.message +=
        "; the clone is shallow: run 'git fetch --deepen=100' (or 'git fetch "
        "--unshallow')";
  }
  if (!opts.on_missing_base_all) return WithFallbackHint(std::move(e));
  return fmt::format("the base cannot be used: {}", e.message);
}

/// The git half of change detection: the head, the commit compared with it and the paths that
/// differ.
struct AffectedDiff {
  AffectedResult result;    ///< base, head, compared and changed_paths filled in
  git_oid compared_tree{};  ///< the compared commit's tree, when a diff was made
  /// Set when no diff was possible (all-zero base, or a missing base with
  /// on_missing_base_all): every target is affected for this reason.
  std::optional<std::string> all_reason;
  bool missing_base = false;
};

Expected<AffectedDiff> DiffForAffected(const Repository& repo, const AffectedOptions& opts) {
  AffectedDiff d;
  AffectedResult& r = d.result;

  // The head first: a head that does not resolve is always an error, never "everything".
  std::optional<SourceState> resolved;
  if (!opts.head_state) {
    auto state = ResolveSource(repo, opts.head, "--head", opts.exclude_dirs);
    if (!state.ok()) return state.error();
    resolved = std::move(*state);
  }
  const SourceState& head = opts.head_state ? *opts.head_state : *resolved;
  const git_oid head_tree = SourceTree(head);
  std::optional<git_oid> head_commit;
  if (head.commit) head_commit = ParseOid(*head.commit);
  r.head = head.source == "worktree" ? "worktree" : head.commit.value_or("");
  r.head_tree = head.tree;

  r.base = opts.base;
  if (IsZeroOid(opts.base)) {
    d.all_reason =
        "the base is the all-zero revision (a new branch), so there is nothing to compare with";
    return d;
  }

  // Everything that can fail for want of history: resolving the base, the merge base, the
  // base tree and the diff.
  Status status = [&]() -> Status {
    auto compared = ResolveCompared(repo, opts, head_commit, &r.base);
    if (!compared.ok()) return compared.error();
    r.compared = OidToString(*compared);
    auto base_tree = repo.CommitTree(*compared);
    if (!base_tree.ok()) return base_tree.error();
    d.compared_tree = *base_tree;
    auto changed = DiffTrees(repo, *base_tree, head_tree);
    if (!changed.ok()) return changed.error();
    r.changed_paths = std::move(changed).value();
    return {};
  }();
  if (!status.ok()) {
    if (status.error().exit_code != kExitGit) return status.error();
    auto why = MissingBase(repo, opts, status.error());
    if (!why.ok()) return why.error();
    d.all_reason = std::move(why).value();
    d.missing_base = true;
  }
  return d;
}

Expected<AffectedResult> MatchAffected(const Repository& repo, const Description& head_desc,
                                       AffectedDiff diff, const AffectedOptions& opts) {
  AffectedResult r = std::move(diff.result);
  r.missing_base = diff.missing_base;
  if (diff.all_reason) return AllAffected(head_desc, std::move(r), std::move(*diff.all_reason));

  std::vector<std::vector<AffectReason>> reasons(head_desc.targets.size());
  std::optional<std::string> description_all;  // the description changed for every target
  const std::string& rel = opts.description_relpath;
  auto it = std::lower_bound(r.changed_paths.begin(), r.changed_paths.end(), rel,
                             [](const ChangedPath& c, const std::string& p) { return c.path < p; });
  if (!rel.empty() && it != r.changed_paths.end() && it->path == rel) {
    auto why = DescriptionChange(repo, diff.compared_tree, r.compared, head_desc, rel, &reasons);
    if (!why.ok()) {
      if (why.error().exit_code != kExitGit) return why.error();
      auto missing = MissingBase(repo, opts, why.error());
      if (!missing.ok()) return missing.error();
      r.missing_base = true;
      return AllAffected(head_desc, std::move(r), std::move(missing).value());
    }
    description_all = std::move(why).value();
  }

  std::vector<AffectReason> globals;
  const std::optional<git_oid> head_tree = ParseOid(r.head_tree);
  if (!head_tree) return MakeError("the head's tree '" + r.head_tree + "' is not an object id");
  FANOUT_TRY(MatchChangedPaths(repo, *head_tree, head_desc, r.changed_paths, &reasons, &globals));
  std::optional<std::string> all_reason = description_all;
  if (!globals.empty()) {
    std::string why =
        globals.size() == 1
            ? fmt::format("the global input '{}' changed", globals[0].path)
            : fmt::format("{} global inputs changed ('{}', ...)", globals.size(), globals[0].path);
    all_reason = all_reason ? *all_reason + "; " + why : why;
  }
  for (auto& v : reasons) {
    // Inputs first, then (after Finish adds deps) globals and the description.
    std::stable_partition(v.begin(), v.end(),
                          [](const AffectReason& x) { return x.kind == "input"; });
    auto desc_reason = std::find_if(v.begin(), v.end(),
                                    [](const AffectReason& x) { return x.kind == "description"; });
    const bool has_desc = desc_reason != v.end() || description_all;
    if (desc_reason != v.end()) v.erase(desc_reason);
    v.insert(v.end(), globals.begin(), globals.end());
    if (has_desc) v.push_back(AffectReason{"description", "", "", "", 0, ""});
  }
  if (all_reason) {
    r.all = true;
    r.all_reason = std::move(all_reason);
  }
  Finish(head_desc, std::move(reasons), &r);
  return r;
}

}  // namespace

Expected<AffectedResult> ComputeAffected(const Repository& repo, const Description& head_desc,
                                         const AffectedOptions& opts) {
  auto diff = DiffForAffected(repo, opts);
  if (!diff.ok()) return diff.error();
  return MatchAffected(repo, head_desc, std::move(diff).value(), opts);
}

}  // namespace fanout
