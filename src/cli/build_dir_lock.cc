#include "cli/build_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"

namespace fanout {

namespace {

/// What the holder wrote in the lock file ("pid 123: fanout build"), or "another fanout
/// process" when it wrote nothing yet.
std::string Holder(int fd) {
  char buf[256];
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text.empty() ? "another fanout process" : text;
}

}  // namespace

Expected<BuildDirLock> BuildDirLock::Acquire(const std::string& build_dir,
                                             const std::string& command, bool wait) {
  const std::string internal = build_dir + "/" + layout::kInternalDir;
  std::error_code ec;
  std::filesystem::create_directories(internal, ec);
  if (ec) return WriteError(internal, ec.value());
  const std::string path = internal + "/build.lock";
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return WriteError(path, errno);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return MakeError(fmt::format("cannot lock '{}': {}", path, std::strerror(errno)), kExitIo);
    }
    const std::string holder = Holder(fd.get());
    if (!wait) {
      return MakeError(
          fmt::format("the build directory '{}' is in use by {}; wait for it to "
                      "finish (drop --no-wait), or use another build directory (-B)",
                      build_dir, holder));
    }
    fmt::print(stderr,
               "fanout {}: waiting for {} to finish with '{}' (--no-wait refuses instead)\n",
               command, holder, build_dir);
    while (flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        return MakeError(fmt::format("cannot lock '{}': {}", path, std::strerror(errno)), kExitIo);
      }
    }
  }
  // Who holds it, for the message of the next one (best effort: the lock is what counts).
  const std::string me = fmt::format("pid {}: fanout {}\n", getpid(), command);
  if (ftruncate(fd.get(), 0) == 0 && pwrite(fd.get(), me.data(), me.size(), 0) < 0) {
  }
  return BuildDirLock(std::move(fd));
}

}  // namespace fanout
