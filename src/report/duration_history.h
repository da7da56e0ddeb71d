// How long each target took in earlier builds, for `fanout matrix --history` to balance shards
// by time (plan/balance.h): read from manifests (manifest.json, as a CI cache or artifact keeps
// them) and from Ninja's .ninja_log of a build directory. A target's expected duration is the
// median of what was recorded for it; a target never recorded gets the median of the others.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout {

/// Every recorded run time, by target name.
struct DurationHistory {
  std::map<std::string, std::vector<double>> seconds;
  std::vector<std::string> files;  ///< the files read, in the order read
};

/// Reads each path: a manifest.json, a .ninja_log (recognized by its first line), or a
/// directory searched recursively for files named manifest.json and .ninja_log. In a directory
/// holding both, the .ninja_log is passed over: the manifest says which results were restored
/// from the cache, whose times are not run times. From a manifest: targets that succeeded or
/// were flaky (not cached, failed or interrupted ones). From a .ninja_log: each target's edge
/// (targets/NAME/result.json). Errors name the path and what is wrong with it.
Expected<DurationHistory> ReadDurationHistory(const std::vector<std::string>& paths);

/// Parses .ninja_log text (format v5 or v6; others are refused) into `history`.
Status ParseNinjaLog(const std::string& text, const std::string& path, DurationHistory* history);

/// Each of `targets`' expected seconds: the median of its history; when it has none, the
/// median of those that have (1 s when none has), and its name is added to `estimated`.
std::map<std::string, double> ExpectedDurations(const std::vector<std::string>& targets,
                                                const DurationHistory& history,
                                                std::vector<std::string>* estimated);

}  // namespace fanout
