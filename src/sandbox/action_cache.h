// The action cache as `fanout exec` uses it (docs/cache.md): the local store and the remote
// one its runner names (cache/settings.h), restoring a target's result into its out/ and log,
// and storing a successful one. Nothing here fails a target: a store that is unreachable,
// refuses a write or holds a corrupt entry is reported and passed over, and the target runs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/http_backend.h"
#include "cache/local_store.h"
#include "cache/settings.h"
#include "records/action_record.h"
#include "records/target_record.h"

namespace fanout::sandbox {

class ActionCache {
 public:
  /// How problems are reported: `line` for the target's log; `console` true when it should also
  /// reach the console (`once`, when not empty, names a marker so it does so once per build).
  using Report =
      std::function<void(const std::string& line, bool console, const std::string& once)>;

  /// Opens the stores `settings` names. A store that cannot be opened is reported and left out.
  ActionCache(const cache::CacheSettings& settings, Report report);

  /// Whether any store is open.
  bool enabled() const { return local_ || remote_; }
  const cache::CacheSettings& settings() const { return settings_; }
  /// "local /root/.cache/fanout, remote http://host/cache", for messages.
  std::string Describe() const;

  struct Restored {
    records::CacheEntryRecord entry;
    records::CachedRecord cached;
    std::vector<records::ArtifactRecord> artifacts;  ///< the files restored into out/
  };
  /// Restores the entry `key` of `target`: its files into `out_dir` (emptied first), its log
  /// appended to `log_fd`. nullopt when no store has a whole, matching entry (a corrupt or
  /// partial one is reported, removed from the local store, and passed over). An entry found
  /// only remotely is also stored locally.
  std::optional<Restored> Restore(const std::string& key, const std::string& target,
                                  const std::string& out_dir, int log_fd);

  /// The entry the local cache stored last for a target of this name (for "what changed since
  /// the cache's entry"); nullopt when there is none or it cannot be read. Only the local cache
  /// keeps this index (`targets/<sha256 of the name>`, beside `ac/` and `cas/`).
  std::optional<records::CacheEntryRecord> LatestEntry(const std::string& target);

  /// Stores a successful result in the stores the settings let it write: the files of
  /// `artifacts` under `out_dir`, the log at `log_path`, and `entry`.
  void Store(const records::CacheEntryRecord& entry, const std::string& out_dir,
             const std::vector<records::ArtifactRecord>& artifacts, const std::string& log_path);

 private:
  /// Restores from one store; what went wrong in `problem` when it could not.
  std::optional<Restored> RestoreFrom(cache::Backend& store, const std::string& key,
                                      const std::string& target, const std::string& out_dir,
                                      int log_fd, std::string* problem, bool* store_failed);
  void RemoteFailed(const std::string& what, const Error& e);

  cache::CacheSettings settings_;
  Report report_;
  std::optional<cache::LocalStore> local_;
  std::unique_ptr<cache::HttpBackend> remote_;
};

}  // namespace fanout::sandbox
