#include "sandbox/artifacts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/glob.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "sandbox/artifact_lookup.h"
#include "sandbox/beneath.h"
#include "sandbox/fs_util.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {
namespace {

// Creates the parent directories of `rel` beneath `outfd` without following any symlink and
// returns an fd of the parent.
Expected<UniqueFd> OpenParentBeneath(int outfd, const std::string& rel) {
  UniqueFd dir(fcntl(outfd, F_DUPFD_CLOEXEC, 0));
  size_t start = 0;
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', start)) {
    std::string seg = rel.substr(start, slash - start);
    start = slash + 1;
    if (mkdirat(dir.get(), seg.c_str(), 0755) != 0 && errno != EEXIST) {
      return MakeError(
          fmt::format("cannot create directory for '{}': {}", rel, std::strerror(errno)));
    }
    UniqueFd next(
        OpenBeneath(dir.get(), seg, O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    if (!next) {
      return MakeError(
          fmt::format("cannot open directory for '{}': {}", rel, std::strerror(errno)));
    }
    dir = std::move(next);
  }
  return dir;
}

// Writes the content of `from` as the regular file `rel` under `outfd`, replacing what is there.
Status CopyInto(int outfd, const std::string& rel, int from) {
  auto parent = OpenParentBeneath(outfd, rel);
  if (!parent.ok()) return parent.error();
  const std::string name =
      rel.substr(rel.find_last_of('/') == std::string::npos ? 0 : rel.find_last_of('/') + 1);
  struct stat st;
  fstat(from, &st);
  const mode_t mode = (st.st_mode & 0111) ? 0755 : 0644;
  const std::string tmp = ".fanout-copy-" + name;
  unlinkat(parent->get(), tmp.c_str(), 0);
  UniqueFd out(openat(parent->get(), tmp.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!out)
    return MakeError(fmt::format("cannot write artifact '{}': {}", rel, std::strerror(errno)));
  lseek(from, 0, SEEK_SET);
  FANOUT_TRY(CopyFd(from, out.get(), rel));
  fchmod(out.get(), mode);
  if (renameat(parent->get(), tmp.c_str(), parent->get(), name.c_str()) != 0) {
    // A directory of that name is in the way; the artifact wins.
    if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) {
      unlinkat(parent->get(), name.c_str(), AT_REMOVEDIR);
    }
    if (renameat(parent->get(), tmp.c_str(), parent->get(), name.c_str()) != 0) {
      return MakeError(fmt::format("cannot write artifact '{}': {}", rel, std::strerror(errno)));
    }
  }
  return {};
}

// Makes the collected artifact `rel` in out/ safe to hand to the host: no setuid, setgid or
// group/other write bit and no file capability. A file that cannot be changed in place (not
// ours, or hard-linked to something that may live elsewhere) is replaced by a plain copy.
Status Sanitize(int outfd, const std::string& rel, const ArtifactProtections& prot) {
  UniqueFd fd(OpenBeneath(outfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, kNoSymlinks));
  struct stat st;
  if (!fd || fstat(fd.get(), &st) != 0) {
    return MakeError(fmt::format("cannot open artifact '{}' in $FANOUT_OUT: {}", Escaped(rel),
                                 std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(
        fmt::format("artifact '{}' in $FANOUT_OUT is {}; artifacts must be regular files",
                    Escaped(rel), KindOf(st.st_mode)));
  }
  if (!prot.strip_privileges) return {};
  const mode_t mode = st.st_mode & 07777;
  const mode_t safe = mode & ~(S_ISUID | S_ISGID | S_IWGRP | S_IWOTH);
  // Changing a hard-linked file in place would change the other names too.
  bool copy = st.st_nlink > 1;
  if (!copy && safe != mode && fchmod(fd.get(), safe) != 0) copy = true;
  if (!copy && fremovexattr(fd.get(), "security.capability") != 0 && errno != ENODATA &&
      errno != ENOTSUP) {
    copy = true;
  }
  if (copy) return CopyInto(outfd, rel, fd.get());
  return {};
}

// Removes the stray file `rel` from out/ through no symlink.
bool UnlinkBeneath(int outfd, const std::string& rel) {
  const size_t slash = rel.find_last_of('/');
  UniqueFd parent =
      slash == std::string::npos
          ? UniqueFd(fcntl(outfd, F_DUPFD_CLOEXEC, 0))
          : UniqueFd(OpenBeneath(outfd, rel.substr(0, slash), O_PATH | O_DIRECTORY, kNoSymlinks));
  if (!parent) return false;
  const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  return unlinkat(parent.get(), name.c_str(), 0) == 0;
}

}  // namespace

ArtifactProtections ArtifactProtections::Default() {
  return ArtifactProtections{!Weakened("resolve"), !Weakened("setuid")};
}

CollectOutcome CollectArtifacts(const std::string& workspace, const std::string& out_dir,
                                const std::vector<std::string>& patterns) {
  return CollectArtifacts(workspace, out_dir, patterns, ArtifactProtections::Default());
}

CollectOutcome CollectArtifacts(const std::string& workspace, const std::string& out_dir,
                                const std::vector<std::string>& patterns,
                                const ArtifactProtections& prot) {
  CollectOutcome outcome;
  UniqueFd outfd(open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd wsfd(open(workspace.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!outfd || !wsfd) {
    outcome.errors.push_back(
        fmt::format("cannot open '{}' or '{}': {}", out_dir, workspace, std::strerror(errno)));
    return outcome;
  }
  std::set<std::string> collected;
  std::vector<Glob> excludes;
  for (const std::string& pattern : patterns) {
    if (pattern.empty() || pattern[0] != '!') continue;
    auto glob = Glob::Compile(pattern.substr(1));
    if (glob.ok()) excludes.push_back(std::move(*glob));
  }
  auto excluded = [&](const std::string& path) {
    return std::any_of(excludes.begin(), excludes.end(),
                       [&](const Glob& g) { return g.Matches(path); });
  };
  for (const std::string& pattern : patterns) {
    if (!pattern.empty() && pattern[0] == '!' && !Escapes(pattern)) continue;
    if (Escapes(pattern)) {
      outcome.errors.push_back(fmt::format(
          "artifact path '{}' escapes the workspace; artifact paths are relative and stay "
          "inside it",
          pattern));
      continue;
    }
    auto glob = Glob::Compile(pattern);
    if (!glob.ok()) {
      outcome.errors.push_back(
          fmt::format("artifact pattern '{}': {}", pattern, glob.error().message));
      continue;
    }
    std::vector<Match> matches;
    auto drop_excluded = [&] {
      matches.erase(std::remove_if(matches.begin(), matches.end(),
                                   [&](const Match& m) { return excluded(m.path); }),
                    matches.end());
    };
    FindMatches(outfd.get(), out_dir, *glob, "$FANOUT_OUT", prot, &matches, &outcome.errors);
    drop_excluded();
    const bool in_out = !matches.empty();
    if (!in_out) {
      FindMatches(wsfd.get(), workspace, *glob, "the workspace", prot, &matches, &outcome.errors);
      drop_excluded();
    }
    if (matches.empty()) {
      bool rejected = false;
      for (const std::string& e : outcome.errors)
        rejected |= e.find("'" + pattern) != std::string::npos;
      if (!rejected) {
        outcome.errors.push_back(fmt::format(
            "artifact '{}' was not produced: nothing matches it in $FANOUT_OUT or the workspace",
            pattern));
      }
      continue;
    }
    for (Match& m : matches) {
      if (!ValidUtf8(m.path)) {
        // result.json and the reports carry artifact paths as JSON strings.
        outcome.errors.push_back(fmt::format("artifact '{}' in {}: the name is not valid UTF-8",
                                             Escaped(m.path),
                                             in_out ? "$FANOUT_OUT" : "the workspace"));
        continue;
      }
      if (!in_out || m.is_symlink) {
        Status st = CopyInto(outfd.get(), m.path, m.fd.get());
        if (!st.ok()) {
          outcome.errors.push_back(Escaped(st.error().message));
          continue;
        }
      }
      if (Status st = Sanitize(outfd.get(), m.path, prot); !st.ok()) {
        outcome.errors.push_back(st.error().message);
        continue;
      }
      collected.insert(m.path);
    }
  }
  // Everything else in out/ was not declared: files, symlinks (never followed), FIFOs,
  // sockets and device nodes alike.
  std::vector<std::string> stray;
  Status walked = WalkDirAt(outfd.get(), out_dir, [&](const WalkEntry& e) {
    if (!S_ISDIR(e.st.st_mode) && !collected.count(e.path)) stray.push_back(e.path);
    return WalkAction::kContinue;
  });
  if (!walked.ok()) outcome.errors.push_back(Escaped(walked.error().message));
  for (const std::string& p : stray) {
    if (UnlinkBeneath(outfd.get(), p)) outcome.removed.push_back(p);
  }
  outcome.paths.assign(collected.begin(), collected.end());
  std::sort(outcome.removed.begin(), outcome.removed.end());
  return outcome;
}

std::string CollectOutcomeToJson(const CollectOutcome& outcome) {
  nlohmann::json j;
  j["paths"] = outcome.paths;
  j["errors"] = outcome.errors;
  j["removed"] = outcome.removed;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<CollectOutcome> CollectOutcomeFromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError("malformed artifact report");
  CollectOutcome o;
  for (const char* key : {"paths", "errors", "removed"}) {
    if (!j.contains(key) || !j[key].is_array()) return MakeError("malformed artifact report");
  }
  for (const auto& p : j["paths"]) o.paths.push_back(p.get<std::string>());
  for (const auto& p : j["errors"]) o.errors.push_back(p.get<std::string>());
  for (const auto& p : j["removed"]) o.removed.push_back(p.get<std::string>());
  return o;
}

Expected<std::vector<Artifact>> HashArtifacts(const std::string& out_dir,
                                              const std::vector<std::string>& paths) {
  UniqueFd outfd(open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!outfd) return MakeError(fmt::format("cannot open '{}': {}", out_dir, std::strerror(errno)));
  std::vector<Artifact> out;
  // Not zeroed, and only when there is something to read: zeroing 1 MiB (and faulting in its
  // pages) cost every edge about 4 ms, with or without artifacts (bench/edge_bench.py).
  constexpr std::size_t kBufferSize = 1 << 20;
  std::unique_ptr<char[]> buf;
  if (!paths.empty()) buf = std::make_unique_for_overwrite<char[]>(kBufferSize);
  for (const std::string& p : paths) {
    UniqueFd fd(
        OpenBeneath(outfd.get(), p, O_RDONLY | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    struct stat st;
    if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return MakeError(fmt::format("artifact '{}' in '{}' is not a regular file", p, out_dir));
    }
    Sha256 h;
    for (;;) {
      ssize_t n = read(fd.get(), buf.get(), kBufferSize);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return MakeError(fmt::format("cannot read artifact '{}': {}", p, std::strerror(errno)));
      if (n == 0) break;
      h.Update(std::string_view(buf.get(), static_cast<size_t>(n)));
    }
    out.push_back(Artifact{p, static_cast<std::uint64_t>(st.st_size), h.HexDigest()});
  }
  return out;
}

}  // namespace fanout::sandbox
