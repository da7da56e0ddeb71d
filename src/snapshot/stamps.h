// Writing a snapshot's results into the build directory: the input stamps (each rewritten only
// when its digest changed, so Ninja reruns only those targets), source.json, stamps.index and
// the snapshot step's depfile.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "plan/plan.h"
#include "snapshot/snapshot.h"
#include "snapshot/stamp_index.h"

namespace fanout {

/// Which of `digests` (sorted by name) have a stamp file in `build_dir`'s stamps directory.
std::vector<bool> StampsPresent(const std::string& build_dir,
                                const std::vector<DigestView>& digests);

/// Brings every input stamp to its digest. Stamps that `index` says already hold it, and that
/// still exist, are not opened. `present`, when given, is StampsPresent() as already found.
Status WriteStamps(const std::string& build_dir, const StampIndex& index,
                   const std::vector<DigestView>& digests,
                   const std::vector<bool>* present = nullptr);

/// Writes the snapshot step's depfile: what it read, and the plan. `prefix` (empty, or ending
/// in '/') is the build directory as the Ninja that runs the step names it: it goes before the
/// depfile's target and every relative path, so that a fragment's depfile names them as the
/// including build does (generator/fragment.h).
Status WriteSnapshotDepfile(const std::string& build_dir, std::vector<std::string> deps,
                            const std::string& prefix = "");

/// Writes .fanout/source.json, each .fanout/stamps/<t>.stamp whose digest changed (or that is
/// missing), and stamps.index (for `plan`, whose plan.json text has PlanDigest()
/// `plan_digest`). `previous` is the index as read before `snap` was computed.
Status WriteSnapshot(const std::string& build_dir, const Plan& plan, const StampIndex& previous,
                     const SnapshotResult& snap, std::string_view plan_digest);

}  // namespace fanout
