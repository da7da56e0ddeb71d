// The records `fanout exec` leaves in BUILD/targets/<t>/: result.json (success, written
// atomically and last) and failure.json (failed, timed out or interrupted), whose fields are
// the contract `fanout gather` and `fanout report` read.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/artifacts.h"

namespace fanout::sandbox {

/// How the target was sandboxed: the `sandbox` object of result.json and failure.json.
struct SandboxRecord {
  std::string tier;             ///< "namespaces" or "process"
  std::string fallback_reason;  ///< why not namespaces; empty: null
  /// How each declared limit ("memory", "pids", "nofile") was enforced: "cgroup v1",
  /// "cgroup v2" or "rlimit".
  std::map<std::string, std::string> limits;
  std::string limits_fallback_reason;  ///< why memory or pids are rlimits; empty: null
  /// The Landlock ABI the process tier restricted reads and writes with; 0 (null) when Landlock
  /// was not used (the namespaces tier, or a kernel without it).
  int landlock_abi = 0;
};

/// result.json.
struct SuccessRecord {
  std::string target;
  int attempts = 1;        ///< > 1 makes the status "flaky"
  double started_at = 0;   ///< unix seconds
  double finished_at = 0;  ///< unix seconds
  std::optional<std::string> commit;
  std::string tree;
  std::string input_digest;
  SandboxRecord sandbox;
  std::vector<Artifact> artifacts;
  std::string log;  ///< relative to the build directory
};

/// failure.json.
struct FailureRecord {
  std::string target;
  std::string status = "failed";  ///< "failed", "timed_out" or "interrupted"
  int exit_code = 1;
  int signal = 0;  ///< 0: null
  int attempts = 1;
  double duration_seconds = 0;
  std::string message;
  std::string log_tail;
  std::optional<SandboxRecord> sandbox;  ///< null when setup failed before the tier was chosen
};

std::string SuccessJson(const SuccessRecord& r);
std::string FailureJson(const FailureRecord& r);

/// "exited with status 2", "killed by signal 9 (SIGKILL)".
std::string DescribeExit(int exit_code, int signal);

}  // namespace fanout::sandbox
