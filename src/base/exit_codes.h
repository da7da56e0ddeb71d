// Process exit codes: the contract of docs/cli.md ("Exit codes").
#pragma once

namespace fanout {

inline constexpr int kExitSuccess = 0;       ///< everything succeeded
inline constexpr int kExitTargetFailed = 1;  ///< one or more targets failed
inline constexpr int kExitUsage = 2;         ///< usage or description error
inline constexpr int kExitGit = 3;           ///< unknown revision, missing objects, shallow history
inline constexpr int kExitIo = 4;  ///< the build directory cannot be written (disk full, read-only)
inline constexpr int kExitInterrupted = 130;  ///< interrupted (SIGINT)
inline constexpr int kExitTerminated = 143;   ///< `fanout build` stopped by SIGTERM

/// Every exit code with a one-line meaning, as `fanout --help` lists them (docs/cli.md has the
/// full table; tests/e2e/cli_docs_e2e_test.cc keeps the two in agreement).
struct ExitCodeMeaning {
  int code;
  const char* meaning;
};
inline constexpr ExitCodeMeaning kExitCodes[] = {
    {kExitSuccess, "success"},
    {kExitTargetFailed, "a target failed, timed out, was blocked or never ran; or Ninja failed"},
    {kExitUsage, "usage error, or an invalid description"},
    {kExitGit, "git error while planning (no repository, unknown revision, missing objects)"},
    {kExitIo, "I/O error: the build directory cannot be written (disk full, read-only)"},
    {kExitInterrupted, "interrupted by SIGINT"},
    {kExitTerminated, "fanout build stopped by SIGTERM"},
};

}  // namespace fanout
