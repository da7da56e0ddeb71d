// The snapshot step (`fanout snapshot`, run by Ninja's snapshot edge).
#pragma once

#include <string>

#include "base/expected.h"

namespace fanout {

/// Runs the snapshot step for the build directory: reads the plan, computes, writes
/// .fanout/source.json and each .fanout/stamps/<t>.stamp only when changed, then the depfile
/// and .fanout/snapshot.stamp. When stamps.index was written for this plan and the source
/// still resolves to its tree (as after `fanout gen --source REV`), the index is taken as it
/// is. `depfile_prefix`: see WriteSnapshotDepfile.
Status RunSnapshot(const std::string& build_dir, const std::string& depfile_prefix = "");

}  // namespace fanout
