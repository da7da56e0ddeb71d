// Test-only weakening of the sandbox's protections, so that every protection test can first
// show its attack succeeding (a positive control). The switch exists only in the
// `fanout-weakened` binary the tests build (compiled with FANOUT_TEST_WEAKEN); in `fanout`
// itself Weakened() is always false and the environment variable is never read.
#pragma once

#include <string_view>

namespace fanout::sandbox {

/// Whether the protection `layer` is turned off for this run: only in the test binary, and only
/// when FANOUT_TEST_WEAKEN (a comma-separated list, or "all") names it. The layers are listed
/// in docs/security.md ("Testing the sandbox").
bool Weakened(std::string_view layer);

}  // namespace fanout::sandbox
