#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/temp_name.h"
#include "base/unique_fd.h"

namespace fanout {

Expected<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  // Read straight into a buffer of the file's size (one more byte sees it growing): a 3.5 MB
  // plan read through a small buffer spent more time growing and copying than reading. A file
  // that says it is empty (most of /proc, an empty /etc/subuid) starts at a page, doubling: a
  // larger start is zeroed page by page, and in a process just forked each page is a fault.
  struct stat st;
  std::size_t capacity = fstat(fd.get(), &st) == 0 && st.st_size > 0
                             ? static_cast<std::size_t>(st.st_size) + 1
                             : std::size_t{4096};
  std::string out;
  std::size_t size = 0;
  for (;;) {
    if (size == out.size()) out.resize(size == 0 ? capacity : size * 2);
    ssize_t n = read(fd.get(), out.data() + size, out.size() - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  out.resize(size);
  return out;
}

int WriteAllToFd(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

Error WriteError(const std::string& path, int err) {
  const char* hint = "";
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      hint = "; free space on the file system that holds it, then run again";
      break;
    case EROFS:
      hint = "; its file system is read-only: use a writable build directory (-B)";
      break;
    case EACCES:
    case EPERM:
      hint = "; check the permissions of the directory that holds it";
      break;
    default:
      break;
  }
  return MakeError(fmt::format("cannot write '{}': {}{}", path, std::strerror(err), hint), kExitIo);
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  boost::system::error_code ec;
  boost::filesystem::path p(path);
  if (p.has_parent_path()) boost::filesystem::create_directories(p.parent_path(), ec);
  std::string tmp = fmt::format("{}.tmp.{}.{:x}", path, getpid(), TempNameBits());
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return WriteError(path, errno);
    if (const int err = WriteAllToFd(fd.get(), content)) {
      unlink(tmp.c_str());
      return WriteError(path, err);
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return WriteError(path, err);
  }
  return {};
}

Status WriteFileIfChanged(const std::string& path, std::string_view content, bool* changed) {
  if (changed) *changed = false;
  auto old = ReadFile(path);
  if (old.ok() && *old == content) return {};
  FANOUT_TRY(WriteFileAtomically(path, content));
  if (changed) *changed = true;
  return {};
}

Status WriteGithubOutput(const std::string& text) {
  const char* path = std::getenv("GITHUB_OUTPUT");
  if (!path || !*path) {
    fmt::print("{}", text);
    return {};
  }
  std::FILE* f = std::fopen(path, "a");
  if (!f) return MakeError(fmt::format("cannot append to $GITHUB_OUTPUT '{}'", path), kExitUsage);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    return MakeError(fmt::format("cannot write to $GITHUB_OUTPUT '{}'", path), kExitUsage);
  }
  return {};
}

}  // namespace fanout
