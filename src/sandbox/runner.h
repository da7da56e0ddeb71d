// `fanout exec`: builds one target of a build directory in its sandbox. Reads the plan, the
// snapshot's source tree and the target's input stamp; materializes the workspace; runs the
// command (with retries) isolated, under its timeout; collects the artifacts; writes
// result.json last and atomically on success, failure.json otherwise. On SIGINT, SIGTERM or
// SIGHUP it tears the sandbox down, records the interruption and re-raises the signal, so
// Ninja reports an interruption rather than a failure.
#pragma once

#include <string>

namespace fanout::sandbox {

/// Options of one `fanout exec` run.
struct ExecOptions {
  std::string build_dir = ".";  ///< the build directory (Ninja's working directory)
  std::string target;
  /// Falling below the namespaces tier is an error (also `sandbox: required` in the plan).
  bool require_sandbox = false;
  /// "auto", "namespaces" or "process" (FANOUT_SANDBOX); empty: auto.
  std::string sandbox_mode;
  /// Seconds between SIGTERM and SIGKILL on timeout or interrupt.
  double kill_grace_seconds = 10;
  /// Take a slot of the target's pool before running (sandbox/pool_slot.h): for schedulers
  /// without pools, such as Make. Ninja's edges do not ask, its pools already limit them.
  bool pool_slots = false;
};

/// Runs the target; returns the exit code (0 success, 1 the target failed, 2 usage, 3 git).
/// When interrupted it does not return: it dies from the same signal.
int RunExec(const ExecOptions& options);

/// Called by RunExec with the exit code once the target's records are written, before the
/// rest of the teardown (the sandbox's PID 1 waited for, the target's lock released): the
/// build's exec server answers its client there (cli/exec_server.h), so the edge is done for
/// Ninja while the kernel tears the sandbox's namespaces down. Process-wide; none by default.
using RecordedHook = void (*)(int exit_code);
void SetRecordedHook(RecordedHook hook);

}  // namespace fanout::sandbox
