// Where the time of one `fanout exec` goes: wall-clock phases, recorded only when
// $FANOUT_EXEC_PROFILE names a file, to which one JSON line per run is appended
// (bench/edge_bench.py reads it). The clock is CLOCK_MONOTONIC (MonotonicSeconds in
// sandbox/isolate_tiers.h), which the sandbox's processes and the benchmark share, so a point taken
// inside the sandbox or before fanout started lines up with the runner's own. With the variable
// unset every call is a test of one flag.
#pragma once

#include <string>
#include <string_view>

namespace fanout::sandbox::profile {

/// Whether $FANOUT_EXEC_PROFILE is set (read once).
bool Enabled();

/// Starts the clock of the first phase (called first thing by the runner).
void Begin();

/// Ends the current phase now and names it: the time since the previous mark (or since the
/// runner's start) is `phase`'s.
void Mark(std::string_view phase);

/// A point in time taken elsewhere (such as in the sandbox's PID 1), on the same clock.
void Point(std::string_view name, double monotonic_seconds);

/// Notes that this run was forked from the build's exec server (cli/exec_server.h) rather
/// than started: the line then has "served": true.
void Served();

/// Appends {"target", "start_us", "phases": [[name, us]...], "points_us": {...}, "end_us"} as
/// one line to the file, in microseconds, where `start_us` is when the runner's main began and
/// `end_us` when its last phase ended.
void Write(std::string_view target);

}  // namespace fanout::sandbox::profile
