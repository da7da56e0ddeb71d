#include "cache/store_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/unique_fd.h"

namespace fanout::cache::store {

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string Printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c == 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, s[i]);
  }
  if (s.size() > 80) out += "...";
  return out;
}

Error IoError(const std::string& action, const std::string& path, int err) {
  return MakeError(fmt::format("cannot {} '{}': {}", action, path, std::strerror(err)),
                   kExitTargetFailed);
}

std::string BlobPath(const std::string& dir, const std::string& sha256) {
  return dir + "/cas/" + sha256;
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

Status HashStream(int fd, const std::string& path, int dest_fd, std::string* sha256,
                  std::uint64_t* size) {
  Sha256 hash;
  *size = 0;
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  for (;;) {
    const ssize_t n = read(fd, buffer.get(), 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    const std::string_view chunk(buffer.get(), static_cast<std::size_t>(n));
    hash.Update(chunk);
    *size += static_cast<std::uint64_t>(n);
    if (dest_fd >= 0) {
      if (const int err = WriteAllToFd(dest_fd, chunk)) {
        return MakeError(fmt::format("cannot write the blob '{}' to its destination: {}", path,
                                     std::strerror(err)),
                         kExitTargetFailed);
      }
    }
  }
  *sha256 = hash.HexDigest();
  return {};
}

void RemoveIfSame(const std::string& path, int fd) {
  struct stat open_st, path_st;
  if (fstat(fd, &open_st) != 0 || stat(path.c_str(), &path_st) != 0) return;
  if (open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino) unlink(path.c_str());
}

Expected<std::optional<std::string>> ReadAction(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("read", path, errno);
  }
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
    if (bytes.size() > kMaxActionBytes) {
      return MakeError(
          fmt::format("'{}' is larger than an action result can be ({} MiB); remove it", path,
                      kMaxActionBytes >> 20),
          kExitTargetFailed);
    }
  }
  return std::optional<std::string>(std::move(bytes));
}

}  // namespace fanout::cache::store
