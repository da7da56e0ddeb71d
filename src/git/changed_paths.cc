#include "git/changed_paths.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace fanout {

namespace {

bool IsTree(const git_tree_entry* e) { return git_tree_entry_filemode(e) == GIT_FILEMODE_TREE; }

/// Git's tree order: names compared bytewise, a tree's name as if it ended in '/'.
int CompareEntries(const git_tree_entry* x, const git_tree_entry* y) {
  const std::string_view a = git_tree_entry_name(x), b = git_tree_entry_name(y);
  const size_t n = std::min(a.size(), b.size());
  if (int c = std::memcmp(a.data(), b.data(), n); c != 0) return c;
  const unsigned char ca = a.size() > n ? a[n] : (IsTree(x) ? '/' : '\0');
  const unsigned char cb = b.size() > n ? b[n] : (IsTree(y) ? '/' : '\0');
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/// The kind of a non-tree entry, for telling a type change from a modification.
int Kind(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_LINK:
      return 1;
    case GIT_FILEMODE_COMMIT:
      return 2;
    default:
      return 0;  // a blob, executable or not
  }
}

/// A simultaneous walk of two trees in git's order that skips every subtree whose id is the
/// same on both sides, so its cost follows the size of the change, not of the tree (libgit2's
/// git_diff_tree_to_tree visits every entry of both trees).
class TreeDiffer {
 public:
  TreeDiffer(git_repository* repo, std::vector<ChangedPath>* out) : repo_(repo), out_(out) {}

  Status Diff(const git_tree* a, const git_tree* b) {
    const size_t na = git_tree_entrycount(a), nb = git_tree_entrycount(b);
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
      const git_tree_entry* x = i < na ? git_tree_entry_byindex(a, i) : nullptr;
      const git_tree_entry* y = j < nb ? git_tree_entry_byindex(b, j) : nullptr;
      const int c = !x ? 1 : !y ? -1 : CompareEntries(x, y);
      if (c < 0) {
        FANOUT_TRY(All(x, 'D'));
        ++i;
      } else if (c > 0) {
        FANOUT_TRY(All(y, 'A'));
        ++j;
      } else {
        FANOUT_TRY(Both(x, y));
        ++i;
        ++j;
      }
    }
    return {};
  }

 private:
  /// Enters `e`'s name for the lifetime of the returned guard.
  struct Enter {
    Enter(std::string& path, const git_tree_entry* e) : path_(path), old_(path.size()) {
      if (!path_.empty()) path_ += '/';
      path_ += git_tree_entry_name(e);
    }
    ~Enter() { path_.resize(old_); }
    std::string& path_;
    size_t old_;
  };

  Expected<TreePtr> Lookup(const git_tree_entry* e) {
    git_tree* raw = nullptr;
    if (git_tree_lookup(&raw, repo_, git_tree_entry_id(e)) != 0) {
      return GitError(fmt::format("tree {} at '{}' is missing from the repository",
                                  OidToString(*git_tree_entry_id(e)), path_));
    }
    return TreePtr(raw);
  }

  /// `e` exists on one side only: it, or every entry under it, is added or deleted.
  Status All(const git_tree_entry* e, char status) {
    Enter enter(path_, e);
    if (!IsTree(e)) {
      out_->push_back(ChangedPath{path_, status});
      return {};
    }
    auto tree = Lookup(e);
    if (!tree.ok()) return tree.error();
    const size_t n = git_tree_entrycount(tree->get());
    for (size_t k = 0; k < n; ++k) FANOUT_TRY(All(git_tree_entry_byindex(tree->get(), k), status));
    return {};
  }

  /// The same name on both sides, both trees or both not.
  Status Both(const git_tree_entry* x, const git_tree_entry* y) {
    const git_filemode_t mx = git_tree_entry_filemode(x), my = git_tree_entry_filemode(y);
    if (mx == my && git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(y))) return {};
    Enter enter(path_, x);
    if (!IsTree(x)) {
      out_->push_back(ChangedPath{path_, Kind(mx) == Kind(my) ? 'M' : 'T'});
      return {};
    }
    auto a = Lookup(x);
    if (!a.ok()) return a.error();
    auto b = Lookup(y);
    if (!b.ok()) return b.error();
    return Diff(a->get(), b->get());
  }

  git_repository* repo_;
  std::vector<ChangedPath>* out_;
  std::string path_;
};

Expected<TreePtr> LookupTree(git_repository* repo, const git_oid& id) {
  git_tree* raw = nullptr;
  if (git_tree_lookup(&raw, repo, &id) != 0) {
    return GitError(fmt::format("tree {} is missing from the repository", OidToString(id)));
  }
  return TreePtr(raw);
}

}  // namespace

Expected<std::vector<ChangedPath>> DiffTrees(const Repository& repo, const git_oid& old_tree,
                                             const git_oid& new_tree) {
  std::vector<ChangedPath> out;
  if (git_oid_equal(&old_tree, &new_tree)) return out;
  auto a = LookupTree(repo.get(), old_tree);
  if (!a.ok()) return a.error();
  auto b = LookupTree(repo.get(), new_tree);
  if (!b.ok()) return b.error();
  // No rename detection: a rename is a delete plus an add, so both sides' targets see it.
  // A gitlink is compared by the commit it records, as `git diff` between trees does.
  TreeDiffer differ(repo.get(), &out);
  FANOUT_TRY(differ.Diff(a->get(), b->get()));
  // Git's order puts "a/b" after "a.c"; callers want plain byte order.
  std::sort(out.begin(), out.end(),
            [](const ChangedPath& x, const ChangedPath& y) { return x.path < y.path; });
  return out;
}

const char* ChangeStatusName(char status) {
  switch (status) {
    case 'A':
      return "added";
    case 'D':
      return "deleted";
    case 'T':
      return "type changed";
    default:
      return "modified";
  }
}

}  // namespace fanout
