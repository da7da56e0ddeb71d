// The records `fanout exec` leaves in BUILD/targets/<t>/: result.json (success, written
// atomically and last) and failure.json (failed, timed out or interrupted), whose fields are
// the contract `fanout gather` and `fanout report` read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox/artifacts.h"

namespace fanout::sandbox {

/// result.json.
struct SuccessRecord {
  std::string target;
  int attempts = 1;        ///< > 1 makes the status "flaky"
  double started_at = 0;   ///< unix seconds
  double finished_at = 0;  ///< unix seconds
  std::optional<std::string> commit;
  std::string tree;
  std::string input_digest;
  std::string tier;
  std::string fallback_reason;  ///< empty: null
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
};

std::string SuccessJson(const SuccessRecord& r);
std::string FailureJson(const FailureRecord& r);

/// "exited with status 2", "killed by signal 9 (SIGKILL)".
std::string DescribeExit(int exit_code, int signal);

}  // namespace fanout::sandbox
