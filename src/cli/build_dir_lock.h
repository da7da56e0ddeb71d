// One build at a time in a build directory (docs/build-directory.md, "One build at a time"):
// `fanout build` holds BUILD/.fanout/build.lock from before it writes anything until its report
// is written, `fanout gen` while it writes. The lock is an flock(2), so the kernel drops it when
// its holder dies, however it dies.
#pragma once

#include <string>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout {

/// The environment variable `fanout build` sets for Ninja to the build directory it holds, so
/// that the regeneration edge's `fanout gen` does not wait for its own build.
inline constexpr const char* kHeldBuildDirVariable = "FANOUT_BUILD_DIR_LOCKED";

class BuildDirLock {
 public:
  BuildDirLock() = default;

  /// Takes the lock of `build_dir` (absolute; created if missing) for `command` ("build",
  /// "gen"). When another process holds it: with `wait`, says so on stderr once (naming that
  /// process) and waits; without, an error (exit 2) naming it.
  static Expected<BuildDirLock> Acquire(const std::string& build_dir, const std::string& command,
                                        bool wait);

  bool held() const { return static_cast<bool>(fd_); }

 private:
  explicit BuildDirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace fanout
