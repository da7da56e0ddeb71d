// A target's action key (docs/cache.md): the digest of everything its result depends on that
// fanout can name. Its input digest (the stamp: the files its inputs match and its definition),
// the `pass_env` variables as its command would get them, what it sees of each dependency (the
// dependency's artifacts and image, from its result.json), the machine type, and the key's
// format version. `fanout exec` computes it before choosing to run or restore the target, and
// `fanout explain` computes it the same way to say which part changed.
#pragma once

#include <map>
#include <string>

#include "base/expected.h"
#include "plan/plan.h"
#include "records/action_record.h"
#include "records/target_record.h"

namespace fanout::sandbox {

/// "linux/<machine>" of this host (uname).
std::string HostPlatform();

/// The action of `target` in the build directory `build_dir` (absolute), whose stamp holds
/// `input_digest`, for a runner whose environment is `host_env`. An error when a dependency
/// has no readable result.json (it has not succeeded in this build directory).
Expected<records::ActionRecord> ComputeAction(const std::string& build_dir,
                                              const PlanTarget& target,
                                              const std::string& input_digest,
                                              const std::map<std::string, std::string>& host_env);

/// The parts of `now` that differ from `before`, for people: "its inputs", "its definition",
/// "its pass_env variables", "dependency 'base'", "the machine type", "the key's format".
/// Empty when the keys are equal.
std::vector<std::string> ChangedActionParts(const records::ActionRecord& before,
                                            const records::ActionRecord& now);

}  // namespace fanout::sandbox
