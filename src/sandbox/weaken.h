// Test-only weakening of the sandbox's protections, so that every protection test can first
// show its attack succeeding (a positive control). The switch exists only in the
// `fanout-weakened` binary the tests build (compiled with FANOUT_TEST_WEAKEN); in `fanout`
// itself Weakened() is always false and the environment variable is never read.
#pragma once

#include <initializer_list>
#include <string_view>

namespace fanout::sandbox {

/// Whether the protection `layer` is turned off for this run: only in the test binary, and only
/// when FANOUT_TEST_WEAKEN (a comma-separated list, or "all") names it. The layers are listed
/// in docs/security.md ("Testing the sandbox").
bool Weakened(std::string_view layer);

/// Whether FANOUT_TEST_WEAKEN turns off any layer not in `layers` (always false in `fanout`).
/// The action cache is not used by such a run: a result made with a protection turned off must
/// never be restored by a run that has it, nor restore one (sandbox/exec_cache.cc).
bool WeakenedOtherThan(std::initializer_list<std::string_view> layers);

}  // namespace fanout::sandbox
