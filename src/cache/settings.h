// How a runner uses the action cache (docs/cache.md), from its environment: `fanout build`'s
// --cache* options set these variables for Ninja, and Ninja's edges (`fanout exec`) read them,
// so a plain `ninja` in a build directory uses the same settings. None of them comes from the
// description: which cache a build trusts is the runner's decision, never a pull request's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout::cache {

/// Whether results are restored and stored.
enum class CacheMode {
  kOn,    ///< restore, and store successful results
  kRead,  ///< restore only
  kOff,   ///< neither
};

struct CacheSettings {
  CacheMode mode = CacheMode::kOn;
  std::string dir;     ///< the local cache; empty when none can be found (no HOME)
  std::string url;     ///< the remote cache; empty: none
  bool upload = true;  ///< store in the remote too (false: read-only, for pull requests)
  std::string netrc_file;
  /// The environment variable whose value is one "Name: value" header line for the remote.
  std::string header_variable;
  /// Store results of runs whose sandbox could not enforce the inputs (the process tier without
  /// Landlock): a result that may depend on files outside its inputs.
  bool store_unenforced = false;
};

/// The variables, by name (docs/cli.md lists each).
inline constexpr const char* kCacheVariable = "FANOUT_CACHE";  ///< on, read, off
inline constexpr const char* kCacheDirVariable = "FANOUT_CACHE_DIR";
inline constexpr const char* kCacheUrlVariable = "FANOUT_CACHE_URL";
inline constexpr const char* kCacheUploadVariable = "FANOUT_CACHE_UPLOAD";  ///< true, false
inline constexpr const char* kCacheNetrcVariable = "FANOUT_CACHE_NETRC";
inline constexpr const char* kCacheHeaderVariable = "FANOUT_CACHE_HEADER_ENV";
inline constexpr const char* kCacheUnenforcedVariable = "FANOUT_CACHE_UNENFORCED";  ///< 1

/// Reads the settings from `env`. A value that is not understood is not an error here (an edge
/// must not fail over its cache): it is left at its default and a warning for the log and the
/// console is appended to `warnings`.
CacheSettings ReadCacheSettings(const std::map<std::string, std::string>& env,
                                std::vector<std::string>* warnings);

/// "on", "read", "off".
const char* CacheModeName(CacheMode mode);
/// Parses "on", "read", "off" (and true/false, 1/0 for on and off); nullopt otherwise.
std::optional<CacheMode> ParseCacheMode(const std::string& text);
/// Parses "true"/"false"/"1"/"0"/"yes"/"no"; nullopt otherwise.
std::optional<bool> ParseCacheBool(const std::string& text);

}  // namespace fanout::cache
