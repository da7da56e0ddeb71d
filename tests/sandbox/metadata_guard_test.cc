// The metadata guard for real: a forked child (the command, an unprivileged user) installs the
// filter, passes the listener on, and makes one metadata call; a supervisor serves it. Every
// refusal has a positive control: the same call without the filter changes the file.
#include "sandbox/metadata_guard.h"
#include "sandbox/fd_passing.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace fanout::testing {
namespace {

using sandbox::InstallMetadataFilter;
using sandbox::MetadataGuard;
using sandbox::MetadataGuardStats;
using sandbox::ReceiveFd;
using sandbox::SendFd;

constexpr long kNrFchmodat2 = 452;
constexpr uid_t kNobody = 65534;

bool Root() { return geteuid() == 0; }
// The command's user: nobody when the tests run as root, else ourselves.
uid_t CommandUid() { return Root() ? kNobody : geteuid(); }
gid_t CommandGid() { return Root() ? kNobody : getegid(); }
// A file's group before a chown test: one the command's user may chown to (CommandGid) but
// does not already have, when the tests run as root.
gid_t InitialGid() { return Root() ? 0 : getegid(); }

// Becomes the unprivileged user `uid`, staying dumpable (its /proc/<pid>/mem readable by
// itself, as for a command started normally). Returns false on failure.
bool BecomeUser(uid_t uid, gid_t gid) {
  if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
    return false;
  return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0;
}

struct Outcome {
  int error = -1;  ///< what the call returned: 0 or its errno
  MetadataGuardStats stats;
  bool hup_after_exit = false;  ///< the listener polled POLLHUP once the command was reaped
  std::string problem;          ///< set when the harness itself failed
};

using CallFn = std::function<int()>;

// Runs `call` in a forked child as the command's user; `guarded`: under the filter, served by a
// MetadataGuard in this process with `roots`. Every wait is bounded.
Outcome RunCommand(const CallFn& call, bool guarded, const std::vector<std::string>& roots) {
  Outcome out;
  int sv[2], res[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(res, O_CLOEXEC) != 0) {
    out.problem = "socketpair/pipe";
    return out;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    close(res[0]);
    if (Root() && !BecomeUser(kNobody, kNobody)) _exit(100);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(101);
    if (guarded) {
      auto listener = InstallMetadataFilter();
      if (!listener) _exit(102);
      if (!SendFd(sv[1], listener->get())) _exit(103);
      listener->reset();  // the command must not hold its own listener
    }
    close(sv[1]);
    int e = call();
    if (write(res[1], &e, sizeof e) != sizeof e) _exit(104);
    _exit(0);
  }
  close(sv[1]);
  close(res[1]);
  UniqueFd sock(sv[0]), result(res[0]);
  std::optional<MetadataGuard> guard;
  if (guarded) {
    auto listener = ReceiveFd(sock.get(), 10000);
    if (!listener) {
      out.problem = listener.error().message;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return out;
    }
    guard.emplace(std::move(*listener), roots);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      out.problem = "the command did not finish within 20 s";
      return out;
    }
    struct pollfd p = {guard ? guard->fd() : result.get(), POLLIN, 0};
    if (poll(&p, 1, 20) > 0 && guard && (p.revents & POLLIN)) guard->HandleOne();
  }
  if (guard) {
    struct pollfd p = {guard->fd(), POLLIN, 0};
    out.hup_after_exit = poll(&p, 1, 1000) == 1 && (p.revents & POLLHUP);
    out.stats = guard->stats();
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out.problem = "the command exited with status " + std::to_string(status);
  } else if (read(result.get(), &out.error, sizeof out.error) != sizeof out.error) {
    out.problem = "no result from the command";
  }
  return out;
}

// As RunCommand(guarded), but the supervisor is itself a forked process of an unprivileged user
// (the non-root process tier), reporting back through a pipe.
Outcome RunUnprivilegedSupervisor(const CallFn& call, const std::vector<std::string>& roots) {
  Outcome out;
  int res[2];
  if (pipe2(res, O_CLOEXEC) != 0) return out;
  pid_t pid = fork();
  if (pid == 0) {
    close(res[0]);
    if (!BecomeUser(kNobody, kNobody)) _exit(100);
    Outcome o = RunCommand(call, true, roots);
    int words[6] = {o.error,
                    static_cast<int>(o.stats.performed),
                    static_cast<int>(o.stats.refused),
                    static_cast<int>(o.stats.failed),
                    o.hup_after_exit,
                    !o.problem.empty()};
    if (write(res[1], words, sizeof words) != sizeof words) _exit(101);
    _exit(0);
  }
  close(res[1]);
  UniqueFd result(res[0]);
  struct pollfd p = {result.get(), POLLIN, 0};
  int words[6];
  if (poll(&p, 1, 30000) != 1 || read(result.get(), words, sizeof words) != sizeof words) {
    kill(pid, SIGKILL);
    out.problem = "no report from the unprivileged supervisor";
  } else {
    out.error = words[0];
    out.stats.performed = words[1];
    out.stats.refused = words[2];
    out.stats.failed = words[3];
    out.hup_after_exit = words[4];
    if (words[5]) out.problem = "the unprivileged supervisor's harness failed";
  }
  waitpid(pid, nullptr, 0);
  return out;
}

// What the guard could change about a file.
struct Meta {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  long atime = 0, mtime = 0;
  std::string xattrs;  // "name=value;" for user.test and user.pre
  bool operator==(const Meta& o) const {
    return std::tie(mode, uid, gid, atime, mtime, xattrs) ==
           std::tie(o.mode, o.uid, o.gid, o.atime, o.mtime, o.xattrs);
  }
};

std::ostream& operator<<(std::ostream& os, const Meta& m) {
  return os << "mode " << std::oct << m.mode << std::dec << " owner " << m.uid << ":" << m.gid
            << " atime " << m.atime << " mtime " << m.mtime << " xattrs {" << m.xattrs << "}";
}

Meta Read(const std::string& path) {
  Meta m;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return m;
  m.mode = st.st_mode;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  m.atime = st.st_atim.tv_sec;
  m.mtime = st.st_mtim.tv_sec;
  for (const char* name : {"user.pre", "user.test"}) {
    char value[64];
    ssize_t n = lgetxattr(path.c_str(), name, value, sizeof value);
    if (n >= 0) m.xattrs += std::string(name) + "=" + std::string(value, n) + ";";
  }
  return m;
}

// Resets `path` (a regular file) to the state every case starts from.
void Prepare(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  close(fd);
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  ASSERT_EQ(chown(path.c_str(), CommandUid(), InitialGid()), 0);
  struct timeval old[2] = {{100000000, 0}, {100000000, 0}};
  ASSERT_EQ(utimes(path.c_str(), old), 0);
  ASSERT_EQ(setxattr(path.c_str(), "user.pre", "p", 1, 0), 0) << std::strerror(errno);
  removexattr(path.c_str(), "user.test");
}

int Err(long rc) { return rc == 0 ? 0 : errno; }

// One metadata call on a path (made in the command). `changes_gid`: the call's only effect is
// a change of group, which shows only when the tests run as root.
struct Case {
  const char* name;
  std::function<int(const std::string& path)> call;
  bool changes_gid = false;
};

const struct timespec kTimes[2] = {{1000000000, 0}, {1000000000, 0}};
const struct timeval kTimevals[2] = {{1000000000, 0}, {1000000000, 0}};

// Opens `path` with `flags`, runs `fn` on the fd, closes it.
int WithFd(const std::string& path, int flags, const std::function<long(int)>& fn) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return 1000 + errno;  // not a guard's answer: fails the test visibly
  int e = Err(fn(fd));
  close(fd);
  return e;
}

std::vector<Case> Cases() {
  const gid_t g = CommandGid();
  std::vector<Case> c = {
#ifdef SYS_chmod
      {"chmod", [](const std::string& p) { return Err(syscall(SYS_chmod, p.c_str(), 0600)); }},
#endif
      {"fchmodat",
       [](const std::string& p) { return Err(syscall(SYS_fchmodat, AT_FDCWD, p.c_str(), 0600)); }},
      {"fchmodat2",
       [](const std::string& p) {
         return Err(syscall(kNrFchmodat2, AT_FDCWD, p.c_str(), 0600, 0));
       }},
#ifdef SYS_chown
      {"chown", [g](const std::string& p) { return Err(syscall(SYS_chown, p.c_str(), -1, g)); },
       true},
#endif
#ifdef SYS_lchown
      {"lchown", [g](const std::string& p) { return Err(syscall(SYS_lchown, p.c_str(), -1, g)); },
       true},
#endif
      {"fchownat",
       [g](const std::string& p) { return Err(fchownat(AT_FDCWD, p.c_str(), -1, g, 0)); }, true},
#ifdef SYS_utime
      {"utime",
       [](const std::string& p) {
         struct utimbuf b = {1000000000, 1000000000};
         return Err(syscall(SYS_utime, p.c_str(), &b));
       }},
      {"utime_now",
       [](const std::string& p) { return Err(syscall(SYS_utime, p.c_str(), nullptr)); }},
#endif
#ifdef SYS_utimes
      {"utimes",
       [](const std::string& p) { return Err(syscall(SYS_utimes, p.c_str(), kTimevals)); }},
#endif
#ifdef SYS_futimesat
      {"futimesat",
       [](const std::string& p) {
         return Err(syscall(SYS_futimesat, AT_FDCWD, p.c_str(), kTimevals));
       }},
#endif
      {"utimensat",
       [](const std::string& p) { return Err(utimensat(AT_FDCWD, p.c_str(), kTimes, 0)); }},
      {"utimensat_nofollow",
       [](const std::string& p) {
         return Err(utimensat(AT_FDCWD, p.c_str(), kTimes, AT_SYMLINK_NOFOLLOW));
       }},
      {"setxattr",
       [](const std::string& p) { return Err(setxattr(p.c_str(), "user.test", "v", 1, 0)); }},
      {"lsetxattr",
       [](const std::string& p) { return Err(lsetxattr(p.c_str(), "user.test", "v", 1, 0)); }},
      {"removexattr", [](const std::string& p) { return Err(removexattr(p.c_str(), "user.pre")); }},
      {"lremovexattr",
       [](const std::string& p) { return Err(lremovexattr(p.c_str(), "user.pre")); }},
      // A path relative to the working directory and to a directory fd.
      {"chmod_relative_to_cwd",
       [](const std::string& p) {
         std::string dir = p.substr(0, p.rfind('/'));
         if (chdir(dir.c_str()) != 0) return 1000 + errno;
         return Err(syscall(SYS_fchmodat, AT_FDCWD, p.substr(dir.size() + 1).c_str(), 0600));
       }},
      {"fchmodat_relative_to_dirfd",
       [](const std::string& p) {
         std::string dir = p.substr(0, p.rfind('/'));
         return WithFd(dir, O_PATH | O_DIRECTORY, [&](int d) {
           return syscall(SYS_fchmodat, d, p.substr(dir.size() + 1).c_str(), 0600);
         });
       }},
      // (d) O_PATH fds, which Landlock does not check at all.
      {"fchmodat2_opath_empty_path",
       [](const std::string& p) {
         return WithFd(p, O_PATH,
                       [](int fd) { return syscall(kNrFchmodat2, fd, "", 0600, AT_EMPTY_PATH); });
       }},
      {"fchownat_opath_empty_path",
       [g](const std::string& p) {
         return WithFd(p, O_PATH, [g](int fd) { return fchownat(fd, "", -1, g, AT_EMPTY_PATH); });
       },
       true},
      {"utimensat_opath_empty_path",
       [](const std::string& p) {
         return WithFd(p, O_PATH, [](int fd) { return utimensat(fd, "", kTimes, AT_EMPTY_PATH); });
       }},
      {"chmod_proc_self_fd_of_opath",  // what glibc's fchmodat(AT_SYMLINK_NOFOLLOW) falls back to
       [](const std::string& p) {
         return WithFd(p, O_PATH, [](int fd) {
           return syscall(SYS_fchmodat, AT_FDCWD, ("/proc/self/fd/" + std::to_string(fd)).c_str(),
                          0600);
         });
       }},
      // (e) real fds.
      {"fchmod",
       [](const std::string& p) {
         return WithFd(p, O_RDONLY, [](int fd) { return fchmod(fd, 0600); });
       }},
      {"fchown",
       [g](const std::string& p) {
         return WithFd(p, O_RDONLY, [g](int fd) { return fchown(fd, -1, g); });
       },
       true},
      {"futimens",
       [](const std::string& p) {
         return WithFd(p, O_RDONLY,
                       [](int fd) { return syscall(SYS_utimensat, fd, nullptr, kTimes, 0); });
       }},
      {"fsetxattr",
       [](const std::string& p) {
         return WithFd(p, O_RDONLY, [](int fd) { return fsetxattr(fd, "user.test", "v", 1, 0); });
       }},
      {"fremovexattr",
       [](const std::string& p) {
         return WithFd(p, O_RDONLY, [](int fd) { return fremovexattr(fd, "user.pre"); });
       }},
  };
  return c;
}

enum class Supervisor { kThisProcess, kUnprivileged };

class MetadataGuardTest : public ::testing::TestWithParam<Supervisor> {
 protected:
  void SetUp() override {
    if (GetParam() == Supervisor::kUnprivileged && !Root())
      GTEST_SKIP() << "the supervisor is already unprivileged (see kThisProcess)";
    // A real disk: tmpfs may lack user xattrs.
    char tmpl[] = "/var/tmp/fanout-metadata-guard-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
    base_ = tmpl;
    ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
    root_ = base_ + "/root";
    outside_ = base_ + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    ASSERT_EQ(chown(root_.c_str(), CommandUid(), CommandGid()), 0);
    ASSERT_EQ(chown(outside_.c_str(), CommandUid(), CommandGid()), 0);
    inside_file_ = root_ + "/in.txt";
    outside_file_ = outside_ + "/out.txt";
    Prepare(inside_file_);
    Prepare(outside_file_);
  }
  void TearDown() override {
    if (!base_.empty()) std::system(("rm -rf '" + base_ + "'").c_str());
  }

  Outcome Guarded(const CallFn& call) {
    if (GetParam() == Supervisor::kUnprivileged) return RunUnprivilegedSupervisor(call, {root_});
    return RunCommand(call, true, {root_});
  }

  std::string base_, root_, outside_, inside_file_, outside_file_;
};

// (a) beneath the writable root: the supervisor performs the call and the file really changes.
TEST_P(MetadataGuardTest, InsideTheRoot_EachCallIsPerformed) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Prepare(inside_file_);
    const Meta before = Read(inside_file_);
    Outcome o = Guarded([&] { return c.call(inside_file_); });
    ASSERT_EQ(o.problem, "");
    EXPECT_EQ(o.error, 0) << std::strerror(o.error);
    EXPECT_EQ(o.stats.performed, 1u);
    EXPECT_TRUE(o.hup_after_exit);
    if (!c.changes_gid || Root()) {
      EXPECT_FALSE(Read(inside_file_) == before) << Read(inside_file_);
    }
  }
}

// (b), (d), (e) outside every root: refused with EPERM, the file unchanged; without the filter
// the same call changes it (the positive control: the test sees a change when there is one).
TEST_P(MetadataGuardTest, OutsideEveryRoot_RefusedAndUnchanged) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Prepare(outside_file_);
    const Meta before = Read(outside_file_);
    Outcome o = Guarded([&] { return c.call(outside_file_); });
    ASSERT_EQ(o.problem, "");
    EXPECT_EQ(o.error, EPERM) << std::strerror(o.error);
    EXPECT_EQ(o.stats.refused, 1u);
    EXPECT_EQ(Read(outside_file_), before);

    Outcome control = RunCommand([&] { return c.call(outside_file_); }, false, {});
    ASSERT_EQ(control.problem, "");
    EXPECT_EQ(control.error, 0) << std::strerror(control.error);
    if (!c.changes_gid || Root()) {
      EXPECT_FALSE(Read(outside_file_) == before);
    }
  }
}

// (c) a symlink inside the root that points outside: following it is refused; the nofollow
// forms act on the link itself.
TEST_P(MetadataGuardTest, SymlinkOutOfTheRoot_FollowRefused_NofollowActsOnTheLink) {
  const std::string link = root_ + "/link";
  ASSERT_EQ(symlink(outside_file_.c_str(), link.c_str()), 0);
  ASSERT_EQ(lchown(link.c_str(), CommandUid(), InitialGid()), 0);
  const Meta target_before = Read(outside_file_);

  Outcome o = Guarded([&] { return Err(fchmodat(AT_FDCWD, link.c_str(), 0600, 0)); });
  ASSERT_EQ(o.problem, "");
  EXPECT_EQ(o.error, EPERM);
  Outcome x = Guarded([&] { return Err(setxattr(link.c_str(), "user.test", "v", 1, 0)); });
  EXPECT_EQ(x.error, EPERM);
  EXPECT_EQ(Read(outside_file_), target_before);

  const Meta link_before = Read(link);
  Outcome l = Guarded([&] { return Err(lchown(link.c_str(), -1, CommandGid())); });
  ASSERT_EQ(l.problem, "");
  EXPECT_EQ(l.error, 0) << std::strerror(l.error);
  Outcome t =
      Guarded([&] { return Err(utimensat(AT_FDCWD, link.c_str(), kTimes, AT_SYMLINK_NOFOLLOW)); });
  EXPECT_EQ(t.error, 0) << std::strerror(t.error);
  EXPECT_EQ(Read(link).mtime, 1000000000);
  if (Root()) {
    EXPECT_EQ(Read(link).gid, CommandGid()) << Read(link);
  }
  EXPECT_FALSE(Read(link) == link_before);
  EXPECT_EQ(Read(outside_file_), target_before);  // only the link changed
  // A symlink's mode cannot be changed; the kernel says so for fchmodat2(AT_SYMLINK_NOFOLLOW).
  Outcome m = Guarded([&] {
    return Err(syscall(kNrFchmodat2, AT_FDCWD, link.c_str(), 0600, AT_SYMLINK_NOFOLLOW));
  });
  EXPECT_EQ(m.error, EOPNOTSUPP);

  // Positive control: without the filter, chmod through the link changes the outside file.
  Outcome control = RunCommand([&] { return Err(chmod(link.c_str(), 0600)); }, false, {});
  EXPECT_EQ(control.error, 0);
  EXPECT_EQ(Read(outside_file_).mode & 07777, 0600u);
}

// A symlink that stays inside the root is followed; ".." out of the root is not.
TEST_P(MetadataGuardTest, PathsAreResolvedLikeTheKernel) {
  const std::string link = root_ + "/inner-link";
  ASSERT_EQ(symlink("in.txt", link.c_str()), 0);
  Outcome o = Guarded([&] { return Err(chmod(link.c_str(), 0600)); });
  EXPECT_EQ(o.error, 0) << std::strerror(o.error);
  EXPECT_EQ(Read(inside_file_).mode & 07777, 0600u);

  const Meta before = Read(outside_file_);
  Outcome up = Guarded([&] {
    if (chdir(root_.c_str()) != 0) return 1000 + errno;
    return Err(chmod("../outside/out.txt", 0600));
  });
  EXPECT_EQ(up.error, EPERM);
  EXPECT_EQ(Read(outside_file_), before);
}

// The calls keep the kernel's answers for bad arguments: fchmod on an O_PATH fd, a missing
// file, an xattr name that is too long.
TEST_P(MetadataGuardTest, KernelErrorsAreKept) {
  Outcome badf = Guarded(
      [&] { return WithFd(inside_file_, O_PATH, [](int fd) { return fchmod(fd, 0600); }); });
  EXPECT_EQ(badf.error, EBADF);
  Outcome missing = Guarded([&] { return Err(chmod((root_ + "/missing").c_str(), 0600)); });
  EXPECT_EQ(missing.error, ENOENT);
  Outcome range = Guarded([&] {
    std::string name = "user." + std::string(300, 'x');
    return Err(setxattr(inside_file_.c_str(), name.c_str(), "v", 1, 0));
  });
  EXPECT_EQ(range.error, ERANGE);
  EXPECT_EQ(Read(inside_file_).mode & 07777, 0644u);
}

// A root supervisor performs each call with the command's fsuid, fsgid and groups and no
// capability: the command gets what the kernel would have given it, not root's power.
// Only the variant whose supervisor is this (root) process applies.
class MetadataGuardRootTest : public MetadataGuardTest {};

TEST_P(MetadataGuardRootTest, RootSupervisor_PerformsWithTheCommandsCredentials) {
  if (!Root()) GTEST_SKIP() << "needs a root supervisor (run the tests as root)";
  const std::string roots_file = root_ + "/roots.txt";
  Prepare(roots_file);
  ASSERT_EQ(chown(roots_file.c_str(), 0, 0), 0);
  ASSERT_EQ(chown(inside_file_.c_str(), kNobody, kNobody), 0);
  const Meta theirs = Read(roots_file), mine = Read(inside_file_);

  // Another user's file (DAC), a group the command is not in (root's groups are not used), a
  // namespace that needs CAP_SYS_ADMIN.
  EXPECT_EQ(Guarded([&] { return Err(chmod(roots_file.c_str(), 0666)); }).error, EPERM);
  std::vector<gid_t> saved(64);
  saved.resize(getgroups(static_cast<int>(saved.size()), saved.data()));
  const gid_t extra[] = {0, 4242};
  ASSERT_EQ(setgroups(2, extra), 0);
  EXPECT_EQ(Guarded([&] { return Err(chown(inside_file_.c_str(), -1, 4242)); }).error, EPERM);
  ASSERT_EQ(setgroups(saved.size(), saved.data()), 0);
  EXPECT_EQ(
      Guarded([&] { return Err(setxattr(inside_file_.c_str(), "trusted.x", "v", 1, 0)); }).error,
      EPERM);
  EXPECT_EQ(Read(roots_file), theirs);
  EXPECT_EQ(Read(inside_file_), mine);
  // Positive control: with root's credentials the same changes succeed.
  EXPECT_EQ(chmod(roots_file.c_str(), 0666), 0);
  EXPECT_EQ(chown(inside_file_.c_str(), -1, 4242), 0);
  // And this thread has its own credentials back.
  EXPECT_EQ(static_cast<uid_t>(syscall(SYS_setfsuid, -1)), 0u);
  EXPECT_EQ(static_cast<gid_t>(syscall(SYS_setfsgid, -1)), 0u);
}

INSTANTIATE_TEST_SUITE_P(MetadataGuard, MetadataGuardRootTest,
                         ::testing::Values(Supervisor::kThisProcess),
                         [](const ::testing::TestParamInfo<Supervisor>&) { return "ThisProcess"; });

INSTANTIATE_TEST_SUITE_P(MetadataGuard, MetadataGuardTest,
                         ::testing::Values(Supervisor::kThisProcess, Supervisor::kUnprivileged),
                         [](const ::testing::TestParamInfo<Supervisor>& info) {
                           return info.param == Supervisor::kThisProcess ? "ThisProcess"
                                                                         : "Unprivileged";
                         });

}  // namespace
}  // namespace fanout::testing
