// The action cache's options of `fanout build` (docs/cache.md). They set the FANOUT_CACHE*
// variables (cache/settings.h) for Ninja, whose edges read them, so `fanout build` and a plain
// `ninja` with the same variables behave alike.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace fanout {

struct CacheOptions {
  std::string mode;        ///< --cache on|read|off
  std::string dir;         ///< --cache-dir
  std::string url;         ///< --cache-url
  std::string upload;      ///< --cache-upload true|false
  std::string netrc;       ///< --cache-netrc
  std::string header_env;  ///< --cache-header-env
};

/// Adds the --cache* options to `app`.
void AddCacheOptions(CLI::App* app, CacheOptions* opts);

/// Checks the options given and exports them to the environment Ninja inherits. Returns
/// kExitSuccess, or kExitUsage after printing "fanout COMMAND: error: ...".
int ApplyCacheOptions(const char* command, const CacheOptions& opts);

}  // namespace fanout
