// Running a helper program (skopeo, for fanout publish) and capturing what it says. Safe to call
// from several threads at once: the child is made with posix_spawn, not fork.
#pragma once

#include <spawn.h>

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout {

/// posix_spawn_file_actions_t with its destroy.
class SpawnFileActions {
 public:
  SpawnFileActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

/// How a helper program ended.
struct ProcessResult {
  int exit_code = -1;  ///< 128+N when killed by signal N
  std::string stdout_text;
  /// Its standard error, cut to the last 64 KiB (what a failing tool says is at the end).
  std::string stderr_text;
  bool ok() const { return exit_code == 0; }
};

/// Where and with what environment a helper program runs.
struct ProcessOptions {
  std::string cwd;  ///< its working directory; empty: this process's
  /// Its whole environment, "NAME=VALUE" each; nullopt: this process's.
  std::optional<std::vector<std::string>> env;
};

/// Runs `argv` (argv[0] looked up on this process's PATH) with standard input from /dev/null,
/// waits, and returns what it wrote. An error only when it cannot be started at all.
Expected<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const ProcessOptions& options = {});

}  // namespace fanout
