// Whether a command fits what execve(2) accepts, checked before a sandbox is built, so that a
// command too long to run fails with that reason rather than as "exited with status 127".
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fanout::sandbox {

/// Linux's bound on one argument or environment string (MAX_ARG_STRLEN: 32 pages).
inline constexpr std::size_t kMaxArgStrlen = 32 * 4096;

/// Why `/bin/sh -c command` with the environment `env` cannot be executed (E2BIG): the
/// message names the command's size and the bound it passes; nullopt when it fits.
/// `arg_max` is the bound on all arguments and environment strings together
/// (sysconf(_SC_ARG_MAX) when 0).
std::optional<std::string> CommandTooLong(const std::string& command,
                                          const std::vector<std::string>& env,
                                          std::size_t arg_max = 0);

}  // namespace fanout::sandbox
