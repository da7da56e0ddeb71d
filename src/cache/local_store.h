// The local action cache (docs/cache.md): a directory with the same `ac/` and `cas/` tree as
// the Bazel HTTP cache protocol, so one nginx `location` can serve it as a remote. Default
// `$FANOUT_CACHE_DIR`, else `$XDG_CACHE_HOME/fanout`, else `~/.cache/fanout`.
//
// Every file is written under a temporary name in the same directory and renamed into place,
// so readers (other builds sharing the cache at the same time) see a whole file or none. A
// blob whose bytes do not match its name when read is removed and reported as kCorrupt; an
// `ac/` entry is touched when it is used, which is what `prune` orders by.
#pragma once

#include <optional>
#include <string>

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

}  // namespace fanout::cache
