// The gather step (the final edge): every target's result and artifacts into one manifest and
// one artifacts/ tree, for the post-submit step; and the post-submit step itself.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/expected.h"
#include "plan/plan.h"
#include "records/manifest.h"
#include "records/target_record.h"

namespace fanout {

/// Reads BUILD/targets/<t>/result.json; an Error (exit 1) naming it when missing or invalid.
Expected<records::SuccessRecord> ReadResult(const std::string& build_dir,
                                            const std::string& target);

/// Builds the manifest from the plan and the targets' records, hard-linking (or copying)
/// each succeeded target's artifacts to BUILD/artifacts/<t>/ and checking their SHA-256
/// against result.json. Every planned target is listed with its report status (report.h):
/// a target that did not succeed carries "message" (and "log" when it ran) instead of
/// artifacts, and the manifest's "status" is "failed". So a manifest can be written after a
/// failed build, and a `when: always` post-submit step learns what failed.
Expected<records::Manifest> GatherManifest(const std::string& build_dir, const Plan& plan);

/// Runs the gather step: writes BUILD/manifest.json atomically, then refreshes summary.md and
/// junit.xml (so a plain `ninja` run leaves them current too).
Status RunGather(const std::string& build_dir);

/// Runs the post-submit step (`post_submit.command` with /bin/sh -c in the repository root,
/// with $FANOUT_ARTIFACTS and $FANOUT_MANIFEST, absolute). Its output streams to stdout and
/// is kept in BUILD/post_submit.log; BUILD/.fanout/post_submit.json records the outcome and
/// the manifest it ran with; on success BUILD/.fanout/post_submit.stamp is touched. It refuses
/// to run on a failed manifest unless the description says `when: always`.
/// Returns the exit code: 0 succeeded (or nothing to run), 1 failed, 130 interrupted.
Expected<int> RunPostSubmit(const std::string& build_dir);

/// Looks up an environment variable: nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

/// Whether the CI system says this job builds a pull (merge) request, whose code controls the
/// description and every command: the variable and value that say so, e.g.
/// "GITHUB_EVENT_NAME=pull_request"; nullopt when none does. docs/ci.md lists the variables.
std::optional<std::string> PullRequestEvidence(const EnvLookup& getenv);

/// Records that `fanout build` did not run the post-submit step for the current manifest, for
/// `reason` (e.g. "--no-post-submit was given"), in BUILD/.fanout/post_submit.json as status
/// "skipped". So the report of this build (and a later `fanout report`) does not show an
/// earlier run's failure for the same manifest as this build's. An earlier success for the
/// same manifest is kept: the step did run for it, and must not publish it again. Does nothing
/// without a manifest.
Status RecordPostSubmitSkipped(const std::string& build_dir, const Plan& plan,
                               const std::string& reason);

}  // namespace fanout
