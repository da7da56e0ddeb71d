// The maintenance of a local cache directory (cache/local_store.h): `fanout cache stats`,
// `prune` and `verify`. They work on the directory itself, not through a LocalStore, while
// builds may be reading and writing it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout::cache {

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
