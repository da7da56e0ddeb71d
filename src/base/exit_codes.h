// Process exit codes: the contract of docs/cli.md ("Exit codes").
#pragma once

namespace fanout {

inline constexpr int kExitSuccess = 0;       ///< everything succeeded
inline constexpr int kExitTargetFailed = 1;  ///< one or more targets failed
inline constexpr int kExitUsage = 2;         ///< usage or description error
inline constexpr int kExitGit = 3;           ///< unknown revision, missing objects, shallow history
inline constexpr int kExitInterrupted = 130;  ///< interrupted (SIGINT)

}  // namespace fanout
