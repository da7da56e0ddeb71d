#include "sandbox/artifact_lookup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sandbox/beneath.h"
#include "sandbox/fs_util.h"

namespace fanout::sandbox {
namespace {

// How the directories leading to an artifact are resolved. Without the protection (a positive
// control) as before it: symlinked directories are followed.
unsigned long long PrefixResolve(const ArtifactProtections& prot) {
  return prot.no_symlinked_dirs ? kNoSymlinks : kBeneath;
}

// The first directory of `rel` (a path beneath `rootfd`) that is a symlink, or "".
std::string FirstSymlinkedDir(int rootfd, const std::string& rel) {
  for (size_t slash = rel.find('/');; slash = rel.find('/', slash + 1)) {
    const std::string dir = rel.substr(0, slash);
    UniqueFd fd(OpenBeneath(rootfd, dir, O_PATH | O_NOFOLLOW, kNoSymlinks));
    struct stat st;
    if (!fd || fstat(fd.get(), &st) != 0) return "";
    if (S_ISLNK(st.st_mode)) return dir;
    if (slash == std::string::npos) return "";
  }
}

// The error for a lookup of `rel` (for `pattern`) that met a symlinked directory. It names
// the pattern and the symlink only: nothing from wherever the symlink points.
std::string SymlinkedDirError(int rootfd, const std::string& pattern, const std::string& rel,
                              const char* where) {
  const std::string link = FirstSymlinkedDir(rootfd, rel);
  return fmt::format(
      "artifact '{}' in {} goes through the symlink '{}'; symlinked directories are never "
      "followed when collecting artifacts (one that points outside {} would expose it)",
      Escaped(pattern), where, link.empty() ? Escaped(rel) : Escaped(link), where);
}

// Opens the directory `rel` beneath `rootfd` (rootfd itself when `rel` is empty) without
// following any symlink on the way (unless weakened).
UniqueFd OpenDirBeneath(int rootfd, const std::string& root, const std::string& rel,
                        const ArtifactProtections& prot) {
  if (rel.empty()) return UniqueFd(openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!prot.no_symlinked_dirs) {
    return UniqueFd(open((root + "/" + rel).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  return UniqueFd(OpenBeneath(rootfd, rel, O_RDONLY | O_DIRECTORY, kNoSymlinks));
}

// Opens `rel` for reading through `resolve` when it is still the file `want` (stat'ed through
// an O_PATH fd, so that a FIFO or device is never opened for I/O).
UniqueFd ReopenRegular(int rootfd, const std::string& rel, int flags, unsigned long long resolve,
                       const struct stat& want) {
  UniqueFd fd(OpenBeneath(rootfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK | flags, resolve));
  struct stat st;
  if (!fd || fstat(fd.get(), &st) != 0 || st.st_dev != want.st_dev || st.st_ino != want.st_ino) {
    if (fd) errno = ESTALE;
    return UniqueFd();
  }
  return fd;
}

// Resolves `rel` (found for `pattern`) beneath `rootfd`; adds a file match, walks a directory,
// or reports why not.
void Resolve(int rootfd, const std::string& root, const std::string& rel,
             const std::string& pattern, const char* where, const ArtifactProtections& prot,
             std::vector<Match>* matches, std::vector<std::string>* errors) {
  // The entry itself, without following a symlink anywhere on the way (nor at the end).
  UniqueFd entry(OpenBeneath(rootfd, rel, O_PATH | O_NOFOLLOW, PrefixResolve(prot)));
  if (!entry) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    if (errno == ELOOP) {
      errors->push_back(SymlinkedDirError(rootfd, pattern, rel, where));
    } else if (errno == EXDEV) {  // weakened: a symlinked directory that points outside
      errors->push_back(fmt::format(
          "artifact '{}' in {} is a symlink that points outside it; artifacts must be files "
          "inside the workspace or $FANOUT_OUT",
          Escaped(rel), where));
    } else {
      errors->push_back(
          fmt::format("artifact '{}' in {}: {}", Escaped(rel), where, std::strerror(errno)));
    }
    return;
  }
  struct stat st;
  if (fstat(entry.get(), &st) != 0) {
    errors->push_back(
        fmt::format("artifact '{}' in {}: {}", Escaped(rel), where, std::strerror(errno)));
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    // An artifact that is a symlink: its target's content is collected when it is inside.
    UniqueFd target(OpenBeneath(rootfd, rel, O_PATH, kBeneath));
    if (!target) {
      if (errno == ENOENT) return;
      if (errno == EXDEV || errno == ELOOP) {
        char to[4096];
        ssize_t n = readlinkat(rootfd, rel.c_str(), to, sizeof to - 1);
        std::string shown =
            n > 0 ? fmt::format(" (-> {})", Escaped(std::string_view(to, static_cast<size_t>(n))))
                  : std::string();
        errors->push_back(fmt::format(
            "artifact '{}' in {} is a symlink that points outside it{}; artifacts must be files "
            "inside the workspace or $FANOUT_OUT",
            Escaped(rel), where, shown));
        return;
      }
      errors->push_back(
          fmt::format("artifact '{}' in {}: {}", Escaped(rel), where, std::strerror(errno)));
      return;
    }
    struct stat tst;
    fstat(target.get(), &tst);
    if (S_ISREG(tst.st_mode)) {
      UniqueFd fd = ReopenRegular(rootfd, rel, 0, kBeneath, tst);
      if (fd) {
        matches->push_back(Match{rel, std::move(fd), true});
      } else {
        errors->push_back(
            fmt::format("artifact '{}' in {}: {}", Escaped(rel), where, std::strerror(errno)));
      }
    } else if (S_ISDIR(tst.st_mode)) {
      errors->push_back(
          fmt::format("artifact '{}' in {} is not a regular file", Escaped(rel), where));
    } else {
      errors->push_back(
          fmt::format("artifact '{}' in {} is a symlink to {}; artifacts must be regular files",
                      Escaped(rel), where, KindOf(tst.st_mode)));
    }
    return;
  }
  if (S_ISREG(st.st_mode)) {
    UniqueFd fd = ReopenRegular(rootfd, rel, O_NOFOLLOW, PrefixResolve(prot), st);
    if (fd) {
      matches->push_back(Match{rel, std::move(fd), false});
    } else {
      errors->push_back(
          fmt::format("artifact '{}' in {}: {}", Escaped(rel), where, std::strerror(errno)));
    }
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    // A literal pattern naming a directory means everything under it.
    UniqueFd dir = OpenDirBeneath(rootfd, root, rel, prot);
    if (!dir) {
      errors->push_back(
          fmt::format("artifact '{}' in {}: {}", Escaped(rel), where, std::strerror(errno)));
      return;
    }
    Status walked = WalkDirAt(dir.get(), root + "/" + rel, [&](const WalkEntry& e) {
      if (!S_ISDIR(e.st.st_mode)) {
        Resolve(rootfd, root, rel + "/" + e.path, pattern, where, prot, matches, errors);
      }
      return WalkAction::kContinue;
    });
    if (!walked.ok()) errors->push_back(Escaped(walked.error().message));
    return;
  }
  errors->push_back(fmt::format("artifact '{}' in {} is {}; artifacts must be regular files",
                                Escaped(rel), where, KindOf(st.st_mode)));
}

}  // namespace

void FindMatches(int rootfd, const std::string& root, const Glob& glob, const char* where,
                 const ArtifactProtections& prot, std::vector<Match>* matches,
                 std::vector<std::string>* errors) {
  if (glob.is_literal()) {
    Resolve(rootfd, root, glob.pattern(), glob.pattern(), where, prot, matches, errors);
    return;
  }
  const std::string& prefix = glob.literal_prefix();
  UniqueFd start = OpenDirBeneath(rootfd, root, prefix, prot);
  if (!start) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    if (errno == ELOOP || errno == EXDEV) {
      errors->push_back(SymlinkedDirError(rootfd, glob.pattern(), prefix, where));
    } else {
      errors->push_back(fmt::format("artifact '{}' in {}: cannot open '{}': {}",
                                    Escaped(glob.pattern()), where, Escaped(prefix),
                                    std::strerror(errno)));
    }
    return;
  }
  Status walked = WalkDirAt(start.get(), root, [&](const WalkEntry& e) {
    if (S_ISDIR(e.st.st_mode)) return WalkAction::kContinue;
    std::string rel = prefix.empty() ? e.path : prefix + "/" + e.path;
    if (glob.Matches(rel)) Resolve(rootfd, root, rel, glob.pattern(), where, prot, matches, errors);
    return WalkAction::kContinue;
  });
  if (!walked.ok()) errors->push_back(Escaped(walked.error().message));
}

bool Escapes(const std::string& pattern) {
  std::string p = !pattern.empty() && pattern[0] == '!' ? pattern.substr(1) : pattern;
  if (p.empty() || p[0] == '/') return true;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    if (p.compare(start, end - start, "..") == 0) return true;
    start = end + 1;
  }
  return false;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace fanout::sandbox
