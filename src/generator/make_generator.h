// Writes BUILD/Makefile from a Plan: the same graph as build.ninja for GNU Make, run as
// `make -C BUILD -f Makefile -j N`. Make has no pools, no restat and no depfile-driven edges,
// so the emitted file says in its header comment what it does instead (see GenerateMakefile).
#pragma once

#include <string>

#include "base/expected.h"
#include "generator/fragment.h"
#include "plan/plan.h"

namespace fanout {

/// The file name the Makefile's self-regeneration rule expects inside the build directory.
inline constexpr const char* kMakefileName = "Makefile";

/// What the regeneration rule depends on when the description's path, relative to the build
/// directory, is one Make cannot hold: a symbolic link to the description that `fanout gen
/// --format make` keeps (Make follows it for the modification time).
inline constexpr const char* kMakeDescriptionLink = ".fanout/description";

/// The whole Makefile text for `plan`, byte-for-byte deterministic. Targets are the files
/// `targets/<t>/result.json`; `fanout-all` (the default goal) builds manifest.json;
/// `fanout-<t>` builds one target and `fanout-post_submit` the post-submit step.
/// Under Make:
///  - a pooled target's recipe is `fanout exec --pool-slots`, which holds one of the pool's
///    slots while it runs (sandbox/pool_slot.h);
///  - the snapshot runs on every invocation and rewrites only changed stamps, which is what
///    keeps unchanged targets from rebuilding;
///  - the Makefile regenerates itself (`fanout gen ARGS --regenerate`) when the description
///    file is newer, so the plan's gen_args should make `gen` write this format.
/// Paths: target names are checked by MakeBuildGraph, the build directory's own files have
/// safe names, and a description path Make cannot hold (anything but [A-Za-z0-9._/+,@-] and
/// '~' after the first character: spaces, ':', '#', '%', '*' ...) is reached through
/// kMakeDescriptionLink. Inputs and artifacts never appear in the file.
/// With `fragment`, the text of BUILD/fragment.mk for another Makefile's `include`: paths as
/// that Makefile's directory names them, recipes that enter the build directory first,
/// `<prefix>-all` and `<prefix>-<t>`, the binary in `<prefix>_fanout`, and no default goal or
/// `.SUFFIXES` (those stay the including Makefile's).
/// Errors: those of MakeBuildGraph, a newline in the fanout binary path or a gen argument, and
/// a fragment's build directory path that Make cannot hold.
Expected<std::string> GenerateMakefile(const Plan& plan, const FragmentSpec* fragment = nullptr);

}  // namespace fanout
