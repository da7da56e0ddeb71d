// Writes BUILD/Makefile from a Plan: the same graph as build.ninja for GNU Make, run as
// `make -C BUILD -f Makefile -j N`. Make has no pools, no restat and no depfile-driven edges,
// so the emitted file says in its header comment what it does instead (see GenerateMakefile).
#pragma once

#include <string>

#include "base/expected.h"
#include "plan/plan.h"

namespace fanout {

/// The file name the Makefile's self-regeneration rule expects inside the build directory.
inline constexpr const char* kMakefileName = "Makefile";

/// The whole Makefile text for `plan`, byte-for-byte deterministic. Targets are the files
/// `targets/<t>/result.json`; `fanout-all` (the default goal) builds manifest.json;
/// `fanout-<t>` builds one target and `fanout-post_submit` the post-submit step.
/// Under Make:
///  - pools are not enforced (`-j N` is the only limit), except that when every pool in use
///    has depth 1 the file is `.NOTPARALLEL` and targets run one at a time;
///  - the snapshot runs on every invocation and rewrites only changed stamps, which is what
///    keeps unchanged targets from rebuilding;
///  - the Makefile regenerates itself (`fanout gen ARGS --regenerate`) when the description
///    file is newer, so the plan's gen_args should make `gen` write this format.
/// Errors: those of MakeBuildGraph, a path Make cannot hold (anything but
/// [A-Za-z0-9._/+,@-] and '~' after the first character: spaces, ':', '#', '%', '*' ...),
/// and a newline in the fanout binary path or a gen argument.
Expected<std::string> GenerateMakefile(const Plan& plan);

}  // namespace fanout
