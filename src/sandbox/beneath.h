// Opening a path beneath a directory fd with openat2(2), where the kernel enforces how the
// path may resolve, and how such paths and files are named in messages. Used by artifact
// collection (sandbox/artifacts.cc, sandbox/artifact_lookup.cc).
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

#include <string>
#include <string_view>

namespace fanout::sandbox {

/// openat2(dirfd, path, flags | O_CLOEXEC, resolve): an fd, or -1 with errno set.
int OpenBeneath(int dirfd, const std::string& path, int flags, unsigned long long resolve);

// Beneath the directory and through no symlink at all (implies RESOLVE_NO_MAGICLINKS).
constexpr unsigned long long kNoSymlinks = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
// Beneath the directory, following symlinks that stay inside it: only for an artifact that is
// itself a symlink, whose content is collected when its target is inside.
constexpr unsigned long long kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

/// `s` with every byte that is not printable ASCII written as \xNN, for messages.
std::string Escaped(std::string_view s);

/// "a FIFO", "a socket", ...: what a non-regular file is, for messages.
const char* KindOf(mode_t mode);

}  // namespace fanout::sandbox
