// The end of a target's (or the post-submit step's) log, for failure records and reports.
#pragma once

#include <string>

namespace fanout {

/// The last `max_lines` lines of the file at `path` (at most its last 64 KiB); "" if missing.
std::string ReadLogTail(const std::string& path, int max_lines = 40);

}  // namespace fanout
