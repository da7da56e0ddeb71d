// Writes BUILD/build.ninja from a Plan: the regeneration edge, one snapshot edge that rewrites
// the per-target input stamps, one exec edge per target (in its pool), the gather edge, the
// optional post-submit edge and one phony alias per target. Ninja runs in the build directory
// and every path in the file is relative to it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "generator/fragment.h"
#include "plan/depfile.h"  // DepfileCanExpress
#include "plan/plan.h"

namespace fanout {

/// The whole build.ninja text for `plan`: byte-for-byte the same for the same plan, whatever
/// the order of its targets, deps or skipped lists. Errors name the target, pool or path that
/// a Ninja file cannot express (see MakeBuildGraph and NinjaWriter).
/// With `fragment`, the text of BUILD/fragment.ninja for another build's `subninja`: every
/// path as that build names it, every rule, pool and alias prefixed (`fanout-all`,
/// `fanout-<target>`), commands that enter the build directory first, and no `default`.
Expected<std::string> GenerateNinja(const Plan& plan, const FragmentSpec* fragment = nullptr);

/// The depfile of the regeneration edge (BUILD/.fanout/build.ninja.d): target
/// `.fanout/build.ninja.stamp` (with `fragment`: the fragment's stamp as the including build
/// names it), then every file the generator read, sorted and deduplicated,
/// one per line, with space written `\ `, '#' written `\#` and '$' written `$$`. Paths are
/// written as given (relative paths are relative to the build directory). A path that
/// DepfileCanExpress rejects is left out and, when `left_out` is given, appended to it, so
/// the caller can warn that editing that file will not regenerate build.ninja.
std::string GenerateRegenDepfile(const std::vector<std::string>& files_read,
                                 std::vector<std::string>* left_out = nullptr,
                                 const FragmentSpec* fragment = nullptr);

}  // namespace fanout
