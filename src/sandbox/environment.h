// The environment a target's command sees: a scrubbed set (PATH, HOME and TMPDIR inside the
// sandbox, LANG, GIT_CEILING_DIRECTORIES), fanout's own FANOUT_* variables, the host variables
// the target names in `pass_env` (as far as the runner's FANOUT_PASS_ENV_ALLOW allows), and its
// `env`. Nothing else of the host's environment reaches the command.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "description/description.h"

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

/// The runner-side allow-list: set in the CI job's environment (never in the description), it
/// limits which host variables any target's `pass_env` may reach. Comma-separated names, each
/// may end with `*` as a prefix wildcard (`GOFLAGS,NPM_*`). Set but empty allows none; unset
/// allows every `pass_env` name. It is never passed to a command itself.
inline constexpr const char* kPassEnvAllowVariable = "FANOUT_PASS_ENV_ALLOW";

/// Whether `name` matches an entry of `allow_list` (the value of FANOUT_PASS_ENV_ALLOW).
bool PassEnvAllowed(std::string_view allow_list, std::string_view name);

/// The host variables of the target's `pass_env` that reach its command: each name the runner's
/// FANOUT_PASS_ENV_ALLOW allows and the host sets, with its value. A name not allowed is left
/// out, and a line for the target's log saying so is appended to `warnings` (when given).
std::map<std::string, std::string> PassedVariables(const Target& target,
                                                   const std::map<std::string, std::string>& host,
                                                   std::vector<std::string>* warnings = nullptr);

/// Builds the command's environment as "K=V" strings, sorted by name. `host` is the runner's
/// environment. Precedence, lowest first: scrubbed defaults, `pass_env`, `env`, FANOUT_*
/// (which a target cannot override). A `pass_env` name that the host's FANOUT_PASS_ENV_ALLOW
/// does not allow is left out, and a line for the target's log saying so is appended to
/// `warnings` (when given).
std::vector<std::string> BuildEnvironment(const Target& target,
                                          const std::map<std::string, std::string>& host,
                                          const EnvironmentPaths& paths,
                                          std::vector<std::string>* warnings = nullptr);

/// The current process's environment as a map.
std::map<std::string, std::string> HostEnvironment();

}  // namespace fanout::sandbox
