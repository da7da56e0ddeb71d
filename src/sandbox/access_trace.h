// What a target's command read, from a trace of its run (`fanout audit`, docs/cli.md): strace's
// per-process files (`strace --pidns-translation -ff -o PREFIX`) of a `fanout exec`, read back into
// the files of the workspace the command opened, and those it looked for and did not find.
//
// Only the command's processes count: a process counts from the moment it runs a program
// other than fanout itself (the shell `fanout exec` starts for the command), and every
// process it starts counts too. fanout's own work before and after (making the workspace,
// collecting the artifacts) reads the same files and must not hide an unread input. Paths
// are resolved against each process's working directory, which a child inherits when it is
// made and `chdir` changes; a path relative to another descriptor (`openat(fd, ...)` with a
// directory fd) is not followed.
//
// Where strace cannot read a process's memory (an unprivileged user's sandbox set-up, in a
// user namespace of its own: the arguments show as addresses) or link a child to its parent
// (a clone inside another user namespace), a process no other one is known to have made starts
// in the workspace, and a program it runs whose name cannot be read is the command's.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace fanout::sandbox {

struct AccessTrace {
  /// Files under the workspace the command opened for reading or ran, relative to it.
  std::set<std::string> read;
  /// Paths under the workspace the command opened, ran, or looked up (stat, access,
  /// readlink) and that did not exist (ENOENT), relative to it.
  std::set<std::string> missing;
  /// How many of the command's processes the trace holds.
  std::size_t processes = 0;
};

/// Reads the trace: `files` maps each process id to the text of its strace file (the lowest
/// id is the process strace started); `fanout` is the path of the fanout binary that was
/// traced (a process that runs it, or /proc/self/exe, is fanout's); `workspace` is the
/// target's workspace (absolute), where the command starts. An error when no process of the
/// command is in the trace.
Expected<AccessTrace> ReadAccessTrace(const std::map<int, std::string>& files,
                                      std::string_view fanout, const std::string& workspace);

/// `path` made absolute against `cwd` and normalized ("a/./b/../c" is "a/c"); no symlink is
/// resolved.
std::string ResolvePath(std::string_view cwd, std::string_view path);

}  // namespace fanout::sandbox
