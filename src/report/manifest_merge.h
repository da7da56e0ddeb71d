// Merging the manifests of a sharded build (`fanout matrix --merge`): each shard's machine
// builds some targets and gathers its own manifest (gather.h); the merge makes the one
// manifest the post-submit step reads, in the same format.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "records/manifest.h"

namespace fanout {

/// One shard's manifest and the file it came from (named in errors).
struct ShardManifest {
  std::string path;
  records::Manifest manifest;
};

/// Merges shard manifests into one (format version 1):
///  - `targets`: every target some shard built, sorted by name. A shard's entry with status
///    "skipped" (not requested on that machine) does not count as built. A target built by
///    two shards is an error naming it and both files; a target that every manifest lists as
///    not requested, and none as unaffected, is an error (no shard built it).
///  - `skipped`: the union of the inputs' `skipped`, minus built targets, sorted.
///  - `status`: "interrupted" when any input was; else "failed" when any built target did not
///    succeed (succeeded, flaky and cached with artifacts count as success); else "succeeded".
///    A shard whose own status is "failed" only because it lists targets other shards built
///    does not fail the merge.
///  - `timings`: wall_seconds the maximum, busy_seconds the sum.
///  - `source`: must name the same commit and tree in every input, else an error naming both.
/// Errors are usage errors (exit 2) and name the file concerned.
Expected<records::Manifest> MergeManifests(const std::vector<ShardManifest>& inputs);

/// Reads the manifests at `paths` (records/manifest.h: an unreadable one is an error naming
/// it), merges them, and writes the result to `out` atomically.
Status MergeManifestFiles(const std::vector<std::string>& paths, const std::string& out);

}  // namespace fanout
