#include "base/user_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/find_program.h"

namespace fanout {

// Whether the directory open at `fd` may hold fanout state: a directory of this user (or root)
// that nobody else can write to; `strict` (the /tmp fallback) also wants exactly 0700 and this
// user.
bool TrustedDir(int fd, bool strict) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (strict) return st.st_uid == geteuid() && (st.st_mode & 07777) == 0700;
  return (st.st_uid == geteuid() || st.st_uid == 0) && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

// Creates (0700) and opens the directory `dir`, when it is trusted. Only `dir` and its parent
// (~/.cache) are created: never a made-up $HOME.
UniqueFd OpenStateDir(const std::string& dir, bool strict) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno == ENOENT && !strict) {
    mkdir(dir.substr(0, dir.find_last_of('/')).c_str(), 0700);
    mkdir(dir.c_str(), 0700);
  }
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd || !TrustedDir(fd.get(), strict)) return UniqueFd();
  return fd;
}

// The cache's content when the file is one this user wrote: never through a symlink, a regular
// file of this user that nobody else can write, in a trusted directory.
std::string ReadTrusted(int dirfd, const std::string& name, std::size_t max_size) {
  UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) || static_cast<std::size_t>(st.st_size) > max_size) {
    return "";
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

// Replaces the cache atomically: a new file of this user, then rename over the old name.
void WriteTrusted(int dirfd, const std::string& name, const std::string& content) {
  const std::string tmp = fmt::format(".{}.{}.tmp", name, getpid());
  unlinkat(dirfd, tmp.c_str(), 0);
  UniqueFd fd(
      openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return;
  bool ok = fchmod(fd.get(), 0600) == 0;
  for (size_t done = 0; ok && done < content.size();) {
    ssize_t n = write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  fd.reset();
  if (!ok || renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0)
    unlinkat(dirfd, tmp.c_str(), 0);
}

std::string UserCacheDir() {
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') {
    return std::string(xdg) + "/fanout";
  }
  if (const char* home = getenv("HOME"); home && home[0] == '/') {
    return std::string(home) + "/.cache/fanout";
  }
  return "";
}

UniqueFd OpenUserCache(const std::string& sub) {
  const std::string base = UserCacheDir();
  if (base.empty() || !OpenStateDir(base, false)) return UniqueFd();
  return OpenStateDir(base + "/" + sub, false);
}

std::optional<std::string> ProgramIdentity(std::string_view name) {
  const std::optional<std::string> program = FindOnPath(name);
  if (!program) return std::nullopt;
  struct stat st;
  if (stat(program->c_str(), &st) != 0) return std::nullopt;
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(*program, ec);
  return fmt::format("{} {}:{}:{}.{}", ec ? *program : real.string(), st.st_size, st.st_ino,
                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

}  // namespace fanout
