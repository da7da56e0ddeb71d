// The environment a target's command sees: a scrubbed set (PATH, HOME and TMPDIR inside the
// sandbox, LANG, GIT_CEILING_DIRECTORIES), fanout's own FANOUT_* variables, the host variables
// the target names in `pass_env`, and its `env`. Nothing else of the host's environment
// reaches the command.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "src/description.h"

namespace fanout::sandbox {

/// The sandbox-side values that go into the environment.
struct EnvironmentPaths {
  std::string home;       ///< $HOME
  std::string tmp;        ///< $TMPDIR
  std::string out;        ///< $FANOUT_OUT
  std::string deps;       ///< $FANOUT_DEPS
  std::string workspace;  ///< $FANOUT_WORKSPACE (the command's working directory)
  int attempt = 1;        ///< $FANOUT_ATTEMPT
  /// $GIT_CEILING_DIRECTORIES: git run in the workspace must not find the repository that
  /// holds the build directory (the process tier cannot hide it).
  std::string git_ceiling;
};

/// The default PATH when the host has none.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Builds the command's environment as "K=V" strings, sorted by name. `host` is the runner's
/// environment. Precedence, lowest first: scrubbed defaults, `pass_env`, `env`, FANOUT_*
/// (which a target cannot override).
std::vector<std::string> BuildEnvironment(const Target& target,
                                          const std::map<std::string, std::string>& host,
                                          const EnvironmentPaths& paths);

/// The current process's environment as a map.
std::map<std::string, std::string> HostEnvironment();

}  // namespace fanout::sandbox
