#include "sandbox/landlock.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "sandbox/fs_util.h"

namespace fanout::sandbox {

namespace {

// Newer than the Debian 12 kernel headers; the values are part of the kernel ABI.
constexpr __u64 kLandlockAccessFsTruncate = 1ULL << 14;        // ABI 3
constexpr __u64 kLandlockAccessNetBindTcp = 1ULL << 0;         // ABI 4
constexpr __u64 kLandlockAccessNetConnectTcp = 1ULL << 1;      // ABI 4
constexpr __u64 kLandlockScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6
constexpr __u64 kLandlockScopeSignal = 1ULL << 1;              // ABI 6

// struct landlock_ruleset_attr as of ABI 6; the kernel takes a prefix of it by size.
struct RulesetAttr {
  __u64 handled_access_fs;
  __u64 handled_access_net;
  __u64 scoped;
};

constexpr __u64 kReadAccess =
    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE;
// What a rule on something other than a directory may grant (the kernel refuses the others).
constexpr __u64 kFileAccess = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                              LANDLOCK_ACCESS_FS_EXECUTE | kLandlockAccessFsTruncate;

// Every write right the kernel's ABI knows of (truncate from 3, refer from 2).
__u64 WriteAccess(int abi) {
  __u64 access = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) access |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) access |= kLandlockAccessFsTruncate;
  return access;
}

// A path whose subtree is hidden, or readable again inside a hidden one.
struct Marker {
  std::string path;
  bool hidden;
};

std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Whether `path` lies strictly beneath `dir`.
bool StrictlyUnder(const std::string& path, const std::string& dir) {
  return path != dir && PathIsUnder(path, dir);
}

class ReadRulePlanner {
 public:
  ReadRulePlanner(std::vector<Marker> markers, const ListDirFn& list)
      : markers_(std::move(markers)), list_(list) {}

  ReadRulePlan Run() {
    Visit("/");
    std::sort(plan_.paths.begin(), plan_.paths.end());
    return std::move(plan_);
  }

 private:
  // Readable unless the deepest marker at or above `path` hides it.
  bool Readable(const std::string& path) const {
    const Marker* deepest = nullptr;
    for (const Marker& m : markers_) {
      if (PathIsUnder(path, m.path) && (!deepest || m.path.size() > deepest->path.size())) {
        deepest = &m;
      }
    }
    return !deepest || !deepest->hidden;
  }

  // A rule on `path` would cover everything beneath it: that is right only when nothing
  // beneath it has the opposite visibility. Otherwise it must be split into its entries.
  bool MustSplit(const std::string& path, bool readable) const {
    return std::any_of(markers_.begin(), markers_.end(), [&](const Marker& m) {
      return m.hidden == readable && StrictlyUnder(m.path, path);
    });
  }

  void Visit(const std::string& path) {
    const bool readable = Readable(path);
    if (!MustSplit(path, readable)) {
      if (readable) plan_.paths.push_back(path);
      return;
    }
    // The entries: the next component of every marker beneath it (so kept paths get their
    // rules even when the listing fails or misses them), and, in a readable directory, what it
    // lists. A hidden directory is not listed: an entry of it that leads to no marker is
    // hidden too and gets no rule, so only the paths to the markers matter. (Listing it read
    // every entry of /tmp when that is hidden, and every target's workspace in the build
    // directory's, on every edge.)
    std::set<std::string> names;
    for (const Marker& m : markers_) {
      if (!StrictlyUnder(m.path, path)) continue;
      const size_t start = path == "/" ? 1 : path.size() + 1;
      names.insert(m.path.substr(start, m.path.find('/', start) - start));
    }
    if (readable) {
      if (auto listed = list_(path)) {
        for (std::string& name : *listed) {
          if (name != "." && name != ".." && name.find('/') == std::string::npos) {
            names.insert(std::move(name));
          }
        }
      } else {
        plan_.unlisted.push_back(path);
      }
    }
    for (const std::string& name : names) Visit(Join(path, name));
  }

  std::vector<Marker> markers_;
  const ListDirFn& list_;
  ReadRulePlan plan_;
};

std::optional<std::vector<std::string>> ListNames(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return std::nullopt;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  return names;
}

// The path with symlinks resolved, or nullopt when it does not exist.
std::optional<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (!realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

// Adds a PATH_BENEATH rule for the object open as `fd`, narrowing `access` to the rights the
// kernel accepts for it. Returns 0 or an errno value.
int AddRule(int ruleset, int fd, __u64 access) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  struct landlock_path_beneath_attr rule {};
  rule.allowed_access = S_ISDIR(st.st_mode) ? access : access & kFileAccess;
  rule.parent_fd = fd;
  if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
    return errno;
  }
  return 0;
}

Error RuleError(int err, const std::string& what) {
  return MakeError(fmt::format("landlock_add_rule {}: {}", what, std::strerror(err)));
}

}  // namespace

int LandlockAbi() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : static_cast<int>(v);
}

ReadRulePlan PlanReadRules(const std::vector<std::string>& hidden,
                           const std::vector<std::string>& readable, const ListDirFn& list) {
  std::vector<Marker> markers;
  const std::set<std::string> kept(readable.begin(), readable.end());
  for (const std::string& p : kept) markers.push_back({p, false});
  for (const std::string& p : std::set<std::string>(hidden.begin(), hidden.end())) {
    if (!kept.count(p)) markers.push_back({p, true});
  }
  return ReadRulePlanner(std::move(markers), list).Run();
}

Expected<UniqueFd> MakeLandlockRuleset(const LandlockPolicy& policy,
                                       std::vector<std::string>* notes) {
  const int abi = LandlockAbi();
  if (abi < 1) return MakeError("Landlock is not available");
  const __u64 write_access = WriteAccess(abi);
  RulesetAttr attr{};
  attr.handled_access_fs = kReadAccess | write_access;
  size_t attr_size = sizeof attr.handled_access_fs;
  if (policy.deny_tcp && abi >= 4) {
    attr.handled_access_net = kLandlockAccessNetBindTcp | kLandlockAccessNetConnectTcp;
    attr_size = offsetof(RulesetAttr, scoped);
  }
  if (policy.scoped && abi >= 6) {
    attr.scoped = kLandlockScopeAbstractUnixSocket | kLandlockScopeSignal;
    attr_size = sizeof attr;
  }
  UniqueFd ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0)));
  if (!ruleset) return MakeError(Errno("landlock_create_ruleset"));

  // Rules attach to inodes, and the planner compares paths: resolve symlinks first. A hidden
  // or kept path that does not exist needs no rule.
  std::vector<std::string> hidden, readable, writable;
  for (const std::string& p : policy.hidden) {
    if (auto real = RealPath(p)) hidden.push_back(*real);
  }
  for (const std::string& p : policy.readable) {
    if (auto real = RealPath(p)) readable.push_back(*real);
  }
  for (const std::string& p : policy.writable) {
    auto real = RealPath(p);
    if (!real) return MakeError(Errno("writable directory " + p));
    writable.push_back(*real);
  }
  std::vector<std::string> kept = readable;
  kept.insert(kept.end(), writable.begin(), writable.end());
  const ReadRulePlan plan = PlanReadRules(hidden, kept, ListNames);
  for (const std::string& dir : plan.unlisted) {
    notes->push_back(
        fmt::format("cannot list {}: of its entries, only those leading to the workspace and the "
                    "dependencies' artifacts are readable in the sandbox",
                    dir));
  }

  for (const std::string& path : plan.paths) {
    // O_NOFOLLOW: a symlink needs no rule (what it points to is covered where it lies). An
    // entry that cannot be opened (gone since it was listed, or not searchable) gets none.
    UniqueFd fd(open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st;
    if (!fd || fstat(fd.get(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
    // EBADFD: an object of an internal file system (a bind-mounted namespace file), which
    // takes no rule.
    if (int err = AddRule(ruleset.get(), fd.get(), kReadAccess); err != 0 && err != EBADFD) {
      return RuleError(err, path);
    }
  }
  for (const std::string& dir : writable) {
    UniqueFd fd(open(dir.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) return MakeError(Errno("open " + dir));
    if (int err = AddRule(ruleset.get(), fd.get(), kReadAccess | write_access)) {
      return RuleError(err, dir);
    }
  }
  for (int fd : policy.writable_files) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const __u64 access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                         (write_access & kLandlockAccessFsTruncate);
    if (int err = AddRule(ruleset.get(), fd, access)) return RuleError(err, "the output file");
  }
  // /dev/null, /dev/tty and friends are opened for writing by nearly everything.
  UniqueFd dev(open("/dev", O_PATH | O_CLOEXEC));
  if (!dev) return MakeError(Errno("open /dev"));
  if (int err = AddRule(ruleset.get(), dev.get(), LANDLOCK_ACCESS_FS_WRITE_FILE)) {
    return RuleError(err, "/dev");
  }
  return ruleset;
}

std::string EnforceLandlock(int ruleset_fd) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl(PR_SET_NO_NEW_PRIVS)");
  if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) != 0) {
    return Errno("landlock_restrict_self");
  }
  return "";
}

}  // namespace fanout::sandbox
