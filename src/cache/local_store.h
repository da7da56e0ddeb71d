// The local action cache (docs/cache.md): a directory with the same `ac/` and `cas/` tree as
// the Bazel HTTP cache protocol, so one nginx `location` can serve it as a remote. Default
// `$FANOUT_CACHE_DIR`, else `$XDG_CACHE_HOME/fanout`, else `~/.cache/fanout`.
//
// Every file is written under a temporary name in the same directory and renamed into place,
// so readers (other builds sharing the cache at the same time) see a whole file or none. A
// blob whose bytes do not match its name when read is removed and reported as kCorrupt; an
// `ac/` entry is touched when it is used, which is what `prune` orders by.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "cache/backend.h"

namespace fanout::cache {

/// The cache directory the environment names (see above); an error when none can be found
/// (no HOME and no variable set).
Expected<std::string> DefaultCacheDir();

class LocalStore : public Backend {
 public:
  /// Opens (and creates, mode 0700 for a new directory) the store at `dir`.
  static Expected<LocalStore> Open(const std::string& dir);

  std::string Describe() const override { return dir_; }
  Expected<std::optional<std::string>> GetAction(const std::string& key) override;
  Status PutAction(const std::string& key, const std::string& bytes) override;
  Expected<bool> HasBlob(const BlobRef& blob) override;
  Expected<FetchOutcome> FetchBlob(const BlobRef& blob, int dest_fd,
                                   std::string* why = nullptr) override;
  Status PutBlob(const BlobRef& blob, const std::string& path) override;

  /// Marks `key` as used now (its mtime): what prune orders by.
  void Touch(const std::string& key);
  /// Removes the entry `key` (a corrupt or unusable one); missing is not an error.
  void RemoveAction(const std::string& key);

  const std::string& dir() const { return dir_; }

 private:
  explicit LocalStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

/// `fanout cache stats`.
struct CacheStats {
  std::uint64_t actions = 0;  ///< ac/ entries
  std::uint64_t blobs = 0;    ///< cas/ files
  std::uint64_t bytes = 0;    ///< total size of ac/ and cas/ files
  double oldest_use = 0;      ///< unix seconds of the least recently used entry; 0 if none
  double newest_use = 0;
};
Expected<CacheStats> Stats(const std::string& dir);

/// `fanout cache prune`: what to keep.
struct PruneOptions {
  std::optional<std::uint64_t> max_bytes;    ///< remove least recently used entries above this
  std::optional<double> older_than_seconds;  ///< remove entries unused for longer
  double now = 0;                            ///< unix seconds (0: the clock)
};
struct PruneResult {
  std::uint64_t actions_removed = 0, blobs_removed = 0, bytes_freed = 0;
  CacheStats after;
};
/// Removes entries as `options` say, then every blob no remaining entry names (except blobs
/// younger than an hour, which a build writing its entry right now may still name).
Expected<PruneResult> Prune(const std::string& dir, const PruneOptions& options);

/// `fanout cache verify`: rehashes every blob, decodes every entry.
struct VerifyResult {
  std::uint64_t blobs_checked = 0, actions_checked = 0;
  std::vector<std::string> problems;  ///< one line each: what was wrong, and that it was removed
};
/// Removes corrupt blobs, undecodable entries and entries naming a blob that is missing.
Expected<VerifyResult> Verify(const std::string& dir);

}  // namespace fanout::cache
