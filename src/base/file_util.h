// Small file helpers shared by every module: whole-file reads, atomic writes (write a
// temporary name, then rename). SHA-256 is in base/sha256.h.
#pragma once

#include <string>
#include <string_view>

#include "base/expected.h"

namespace fanout {

/// Reads the whole file. The error names the path and the reason.
Expected<std::string> ReadFile(const std::string& path);

/// Writes all of `data` to `fd`, retrying short writes and EINTR. Returns 0, or the errno of
/// the write that failed. Allocates nothing (usable in a forked child).
int WriteAllToFd(int fd, std::string_view data);

/// The error for `path` that cannot be written (errno `err`): exit code kExitIo, the path, the
/// reason and what to do (free space, a writable directory, permissions).
Error WriteError(const std::string& path, int err);

/// Writes `content` to `path` through a temporary file in the same directory and rename(2),
/// so readers see the old or the new file, never half of one. Creates parent directories.
Status WriteFileAtomically(const std::string& path, std::string_view content);

/// Like WriteFileAtomically, but leaves the file (and its mtime) alone when it already holds
/// exactly `content`. Sets *changed (when given) to whether it wrote.
Status WriteFileIfChanged(const std::string& path, std::string_view content,
                          bool* changed = nullptr);

/// Appends `text` (GitHub Actions `name=value` lines) to the file named by $GITHUB_OUTPUT when
/// that variable is set, else prints it to stdout. Errors name the file (exit code 2).
Status WriteGithubOutput(const std::string& text);

}  // namespace fanout
