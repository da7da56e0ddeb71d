// Finding a target's artifacts: each declared pattern is matched in $FANOUT_OUT or the
// workspace, every lookup resolved by the kernel beneath that directory (sandbox/beneath.h), so
// no match ever names or opens a file outside it. Used by sandbox/artifacts.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/glob.h"
#include "base/unique_fd.h"
#include "sandbox/artifacts.h"

namespace fanout::sandbox {

/// One file matched in a root: its path relative to that root and an fd of what it resolves to.
struct Match {
  std::string path;
  UniqueFd fd;
  bool is_symlink = false;
};

/// Every file under `root` (open as `rootfd`; `where` names it in messages) matching `glob`,
/// appended to `matches`; one line in `errors` per match refused (a FIFO, a symlink leaving
/// the root, a symlinked directory when `prot` forbids them).
void FindMatches(int rootfd, const std::string& root, const Glob& glob, const char* where,
                 const ArtifactProtections& prot, std::vector<Match>* matches,
                 std::vector<std::string>* errors);

/// Whether `pattern` (after a leading '!') is absolute or has a '..' segment.
bool Escapes(const std::string& pattern);

/// Whether `s` is valid UTF-8, as JSON strings in result.json must be.
bool ValidUtf8(std::string_view s);

}  // namespace fanout::sandbox
