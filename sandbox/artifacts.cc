#include "sandbox/artifacts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sandbox/fs_util.h"
#include "src/file_util.h"
#include "src/glob.h"
#include "src/unique_fd.h"

namespace fanout::sandbox {

namespace {

int OpenBeneath(int dirfd, const std::string& path, int flags, unsigned long long resolve) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
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

// One file matched in a root: its path relative to that root and an fd of what it resolves to.
struct Match {
  std::string path;
  UniqueFd fd;
  bool is_symlink = false;
};

// Resolves `rel` beneath `rootfd`; adds a file match, walks a directory, or reports why not.
void Resolve(int rootfd, const std::string& root, const std::string& rel, const char* where,
             std::vector<Match>* matches, std::vector<std::string>* errors) {
  UniqueFd fd(OpenBeneath(rootfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK,
                          RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS));
  if (!fd) {
    if (errno == ENOENT) return;
    if (errno == EXDEV || errno == ELOOP) {
      char target[4096];
      ssize_t n = readlinkat(rootfd, rel.c_str(), target, sizeof target - 1);
      std::string to = n > 0 ? fmt::format(" (-> {})", std::string(target, static_cast<size_t>(n)))
                             : std::string();
      errors->push_back(fmt::format(
          "artifact '{}' in {} is a symlink that points outside it{}; artifacts must be files "
          "inside the workspace or $FANOUT_OUT",
          rel, where, to));
      return;
    }
    errors->push_back(fmt::format("artifact '{}' in {}: {}", rel, where, std::strerror(errno)));
    return;
  }
  struct stat st, lst;
  fstat(fd.get(), &st);
  const bool is_link =
      fstatat(rootfd, rel.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode);
  if (S_ISREG(st.st_mode)) {
    matches->push_back(Match{rel, std::move(fd), is_link});
    return;
  }
  if (S_ISDIR(st.st_mode) && !is_link) {
    // A literal pattern naming a directory means everything under it.
    Status walked = WalkDir(root + "/" + rel, [&](const WalkEntry& e) {
      if (!S_ISDIR(e.st.st_mode)) Resolve(rootfd, root, rel + "/" + e.path, where, matches, errors);
      return WalkAction::kContinue;
    });
    if (!walked.ok()) errors->push_back(walked.error().message);
    return;
  }
  errors->push_back(fmt::format("artifact '{}' in {} is not a regular file", rel, where));
}

// Every file under `root` matching `glob`.
void FindMatches(int rootfd, const std::string& root, const Glob& glob, const char* where,
                 std::vector<Match>* matches, std::vector<std::string>* errors) {
  if (glob.is_literal()) {
    Resolve(rootfd, root, glob.pattern(), where, matches, errors);
    return;
  }
  const std::string& prefix = glob.literal_prefix();
  const std::string start = prefix.empty() ? root : root + "/" + prefix;
  Status walked = WalkDir(start, [&](const WalkEntry& e) {
    if (S_ISDIR(e.st.st_mode)) return WalkAction::kContinue;
    std::string rel = prefix.empty() ? e.path : prefix + "/" + e.path;
    if (glob.Matches(rel)) Resolve(rootfd, root, rel, where, matches, errors);
    return WalkAction::kContinue;
  });
  if (!walked.ok()) errors->push_back(walked.error().message);
}

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

}  // namespace

CollectOutcome CollectArtifacts(const std::string& workspace, const std::string& out_dir,
                                const std::vector<std::string>& patterns) {
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
    FindMatches(outfd.get(), out_dir, *glob, "$FANOUT_OUT", &matches, &outcome.errors);
    drop_excluded();
    const bool in_out = !matches.empty();
    if (!in_out) {
      FindMatches(wsfd.get(), workspace, *glob, "the workspace", &matches, &outcome.errors);
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
      if (!in_out || m.is_symlink) {
        Status st = CopyInto(outfd.get(), m.path, m.fd.get());
        if (!st.ok()) {
          outcome.errors.push_back(st.error().message);
          continue;
        }
      }
      collected.insert(m.path);
    }
  }
  // Everything else in out/ was not declared.
  std::vector<std::string> stray;
  Status walked = WalkDir(out_dir, [&](const WalkEntry& e) {
    if (!S_ISDIR(e.st.st_mode) && !collected.count(e.path)) stray.push_back(e.path);
    return WalkAction::kContinue;
  });
  if (!walked.ok()) outcome.errors.push_back(walked.error().message);
  for (const std::string& p : stray) {
    if (unlink((out_dir + "/" + p).c_str()) == 0) outcome.removed.push_back(p);
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
  std::vector<char> buf(1 << 20);
  for (const std::string& p : paths) {
    UniqueFd fd(
        OpenBeneath(outfd.get(), p, O_RDONLY | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    struct stat st;
    if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return MakeError(fmt::format("artifact '{}' in '{}' is not a regular file", p, out_dir));
    }
    Sha256 h;
    for (;;) {
      ssize_t n = read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return MakeError(fmt::format("cannot read artifact '{}': {}", p, std::strerror(errno)));
      if (n == 0) break;
      h.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    out.push_back(Artifact{p, static_cast<std::uint64_t>(st.st_size), h.HexDigest()});
  }
  return out;
}

}  // namespace fanout::sandbox
