// Files fanout keeps for one user between runs (the sandbox probe's result, derived Go
// inputs): in directories only this user (or root) can write to, read back only when this
// user wrote them, replaced atomically.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace fanout {

/// Whether the directory open at `fd` may hold fanout state: a directory of this user (or
/// root) that nobody else can write to; `strict` (a /tmp fallback) also wants exactly 0700
/// and this user.
bool TrustedDir(int fd, bool strict);

/// Creates (0700) and opens the directory `dir`, when it is trusted; an empty UniqueFd when
/// not. Only `dir` and its parent are created (never a made-up $HOME).
UniqueFd OpenStateDir(const std::string& dir, bool strict);

/// The text of `name` in the directory `dirfd` when it is a regular file of this user that
/// nobody else can write to, at most `max_size` bytes, not reached through a symlink; else "".
std::string ReadTrusted(int dirfd, const std::string& name, std::size_t max_size);

/// Replaces `name` in `dirfd` with `content`: a new file of this user (0600) under a
/// temporary name, then renamed over it. Best effort: a failure leaves the old file.
void WriteTrusted(int dirfd, const std::string& name, const std::string& content);

/// This user's cache directory for fanout: $XDG_CACHE_HOME/fanout, else $HOME/.cache/fanout;
/// empty when neither variable holds an absolute path. Not created here.
std::string UserCacheDir();

/// The directory `sub` of UserCacheDir(), created and opened when it is trusted; an empty
/// UniqueFd when there is none (no $HOME) or it is not trusted.
UniqueFd OpenUserCache(const std::string& sub);

/// The program `name` as found on $PATH, as a text that changes when it is replaced (its real
/// path, size, inode and modification time): part of the key of a cached answer the program
/// gave. nullopt when no executable of that name is on $PATH.
std::optional<std::string> ProgramIdentity(std::string_view name);

}  // namespace fanout
