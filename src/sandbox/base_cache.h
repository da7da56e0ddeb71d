// The cache of read-only base trees under BUILD/.fanout/bases: one directory per (tree id,
// input selection), materialized once with libgit2 and shared by every target and rerun over
// the same inputs. Workspaces are made from a base (an overlay lower layer, or a private copy
// that is reset in place), so a warm setup writes nothing.
#pragma once

#include <git2.h>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "sandbox/materialize.h"
#include "sandbox/owner.h"

namespace fanout::sandbox {

/// One file of a base as git records it.
struct ManifestEntry {
  std::string path;
  git_filemode_t mode;
  git_oid oid;
};

/// A base tree held in use: while the lease lives, garbage collection leaves it alone.
class BaseLease {
 public:
  const std::string& key() const { return key_; }
  /// Absolute path of the base directory (never written to after creation).
  const std::string& dir() const { return dir_; }
  /// Whether this Acquire materialized the base (a cold setup).
  bool created() const { return created_; }
  /// Every file of the base, in path order.
  Expected<std::vector<ManifestEntry>> ReadManifest() const;

 private:
  friend class BaseCache;
  std::string key_;
  std::string dir_;
  std::string manifest_;
  bool created_ = false;
  UniqueFd lock_;  ///< the base directory, flock(LOCK_SH)
};

/// The base cache rooted at an absolute directory (BUILD/.fanout/bases).
class BaseCache {
 public:
  /// `owner`: who owns the files of new bases (workspace.h); the namespaces tier's overlay
  /// needs them owned by the build uid when fanout runs as root. Keep one root per owner.
  explicit BaseCache(std::string root, Owner owner = {}) : root_(std::move(root)), owner_(owner) {}

  /// The cache key of (tree, selection): hex, independent of pattern order.
  static std::string Key(const git_oid& tree, const InputSelection& selection);

  /// Returns the base for (tree, selection), materializing it from the repository at
  /// `repo_path` when it is not cached. Concurrent callers for the same key are safe: each
  /// builds a private temporary and the first rename wins.
  Expected<BaseLease> Acquire(const RepoLocation& repo_path, const git_oid& tree,
                              const InputSelection& selection, int threads = 0);

  /// Removes bases that no lease holds and whose key is not in `keep`, except the
  /// `keep_recent` most recently used of them.
  void CollectGarbage(const std::set<std::string>& keep, std::size_t keep_recent);

  /// The number of bases in the cache (its directories; a base is one).
  std::size_t Count() const;

  /// Whether the cache holds more than `limit` bases: Count() > limit, without listing the
  /// cache when its directory's link count already rules it out. A directory's link count is
  /// two plus its subdirectories on the file systems that keep the Unix convention (ext4,
  /// XFS, tmpfs; GNU find's leaf optimization relies on it too), so it bounds the bases from
  /// above; where it says nothing (1 on btrfs, and on ext4 past 65,000 subdirectories) the
  /// cache is listed. Every edge asks (sandbox/runner.cc), and a cold build of N targets
  /// holds N bases: listing them each time made that build quadratic.
  bool CountExceeds(std::size_t limit) const;

 private:
  Expected<bool> TryLock(const std::string& key, BaseLease* lease) const;
  std::string root_;
  Owner owner_;
};

}  // namespace fanout::sandbox
