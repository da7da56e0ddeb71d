// Running a helper program (skopeo, for fanout publish) and capturing what it says. Safe to call
// from several threads at once: the child is made with posix_spawn, not fork.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout {

/// How a helper program ended.
struct ProcessResult {
  int exit_code = -1;  ///< 128+N when killed by signal N
  std::string stdout_text;
  /// Its standard error, cut to the last 64 KiB (what a failing tool says is at the end).
  std::string stderr_text;
  bool ok() const { return exit_code == 0; }
};

/// Runs `argv` (argv[0] looked up on PATH) with standard input from /dev/null, waits, and
/// returns what it wrote. An error only when it cannot be started at all.
Expected<ProcessResult> RunProcess(const std::vector<std::string>& argv);

}  // namespace fanout
