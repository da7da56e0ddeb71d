// Internal to the cache stage: what the local store (cache/local_store.h) and its maintenance
// (cache/store_maintenance.h) both know about the files of a cache directory — the names and
// paths of `ac/` entries and `cas/` blobs, temporary files, reading an entry and hashing a blob
// — and the error messages about them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace fanout::cache::store {

/// Files being written: `.tmp-<pid>-<random>` in the directory they are renamed into.
inline constexpr std::string_view kTempPrefix = ".tmp-";
/// An action result is a few hundred bytes; anything this large is not one.
inline constexpr std::uint64_t kMaxActionBytes = std::uint64_t{16} << 20;

bool IsHex64(std::string_view s);

/// `s` for a message: at most 80 bytes, control bytes escaped.
std::string Printable(std::string_view s);

Error IoError(const std::string& action, const std::string& path, int err);

std::string BlobPath(const std::string& dir, const std::string& sha256);

std::string StripTrailingSlashes(std::string dir);

/// Reads `fd` to its end, hashing it and (when `dest_fd` >= 0) writing it to `dest_fd`.
Status HashStream(int fd, const std::string& path, int dest_fd, std::string* sha256,
                  std::uint64_t* size);

/// Removes `path` if it is still the file open as `fd`: a writer may have just replaced a bad
/// blob with a good one, which must stay.
void RemoveIfSame(const std::string& path, int fd);

/// The bytes of an `ac/` entry; nullopt when it is missing.
Expected<std::optional<std::string>> ReadAction(const std::string& path);

}  // namespace fanout::cache::store
