// The escape suite, attacks on the host's processes, sockets and files (issue 12): killing a
// host process, reaching an abstract Unix socket, a TCP connection through io_uring with
// `network: false`, reading the ancestors' environments, and changing the metadata of
// undeclared repository files, of .git and of a dependency's artifacts.
//
// The process tier has no namespaces, so each attack there is first shown to work against
// fanout-weakened with the guarding layers off. In the namespaces tier the same attacks meet the
// PID, network and mount namespaces, which no test layer weakens: there the test only asserts
// that the host is unchanged.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "escape_fixture.h"

namespace fanout::testing {
namespace {

class EscapeProcessE2E : public EscapeTest {
 protected:
  /// Skips when the process tier's protection against the attack needs a Landlock ABI the
  /// kernel lacks (only for the unprivileged variant: as root the uid switch protects).
  void NeedLandlockAbi(int abi, const char* what) {
    if (!Namespaces() && !Root() && EscapeLandlockAbi() < abi) {
      GTEST_SKIP() << what << " needs Landlock ABI " << abi << "; this kernel has ABI "
                   << EscapeLandlockAbi();
    }
  }
};

TEST_P(EscapeProcessE2E, KillOfHostProcessFails) {
  NeedLandlockAbi(6, "signal scoping (LANDLOCK_SCOPE_SIGNAL)");
  // The pid differs per run, so it comes through pass_env from fanout build's environment.
  Describe(Target("t", Attack() + " kill \"$VICTIM\"", {"pass_env: [VICTIM]"}));
  Commit();
  if (!Namespaces()) {
    EscapeSleeper victim(User());
    ASSERT_TRUE(victim.Alive());
    EscapeBuild weak =
        Build(Layers("landlock-scope", "uid"), {"VICTIM=" + std::to_string(victim.pid())});
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_EQ(weak.Outcome("t", "kill"), "ESCAPED") << "positive control: " << weak.Log("t");
    EXPECT_FALSE(victim.Alive()) << "positive control: the host process survived";
  }
  EscapeSleeper victim(User());
  ASSERT_TRUE(victim.Alive());
  EscapeBuild real = Build("", {"VICTIM=" + std::to_string(victim.pid())});
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Outcome("t", "kill"), "BLOCKED") << real.Log("t");
  EXPECT_TRUE(victim.Alive()) << "the command killed a host process";
}

TEST_P(EscapeProcessE2E, AbstractUnixSocketIsUnreachable) {
  NeedLandlockAbi(6, "abstract Unix socket scoping (LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)");
  const std::string name = "fanout-escape-" + Marker();
  // The namespaces tier separates abstract sockets with the network namespace, so only with
  // `network: false`; the process tier must refuse them whatever `network` says.
  std::vector<std::string> extra;
  if (Namespaces()) extra.push_back("network: false");
  Describe(Target("t", Attack() + " abstract-connect " + name, extra));
  Commit();
  if (!Namespaces()) {
    auto listener = EscapeListener::Abstract(name);
    EscapeBuild weak = Build("landlock-scope");
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_EQ(weak.Outcome("t", "abstract-connect"), "ESCAPED")
        << "positive control: " << weak.Log("t");
    EXPECT_TRUE(listener->Connected()) << "positive control";
  }
  auto listener = EscapeListener::Abstract(name);
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Outcome("t", "abstract-connect"), "BLOCKED") << real.Log("t");
  EXPECT_FALSE(listener->Connected()) << "the command reached the host's abstract socket";
}

// `network: false` must hold against IORING_OP_SOCKET + IORING_OP_CONNECT, which a seccomp
// filter on socket() never sees.
TEST_P(EscapeProcessE2E, IoUringCannotBypassNetworkFalse) {
  if (std::string why = IoUringUnavailable(); !why.empty()) {
    GTEST_SKIP() << "io_uring is unavailable (kernel feature missing): " << why;
  }
  auto listener = EscapeListener::Tcp();
  const std::string port = std::to_string(listener->port());
  Describe(Target("t", Attack() + " uring-connect " + port, {"network: false"}));
  Commit();
  if (!Namespaces()) {
    EscapeBuild weak = Build("seccomp,landlock-scope");
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_EQ(weak.Outcome("t", "uring-connect"), "ESCAPED")
        << "positive control: " << weak.Log("t");
    EXPECT_TRUE(listener->Connected()) << "positive control";
  }
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Outcome("t", "uring-connect"), "BLOCKED") << real.Log("t");
  if (!Namespaces()) {
    EXPECT_NE(real.OutcomeLine("t", "uring-connect").find("errno=ENOSYS op=io_uring_setup"),
              std::string::npos)
        << real.Log("t");
  }
  EXPECT_FALSE(listener->Connected()) << "the command connected to the host's listener";
}

// fanout build's environment holds a secret (not in pass_env); no ancestor of the command
// (fanout exec, ninja's shell, ninja, fanout build) may show it through /proc/PID/environ.
TEST_P(EscapeProcessE2E, AncestorsEnvironmentIsUnreadable) {
  const std::string secret = "FANOUT_ESCAPE_SECRET=" + Marker();
  Describe(Target("t", Attack() + " environ FANOUT_ESCAPE_SECRET"));
  Commit();
  if (!Namespaces()) {
    // Landlock's ptrace scoping alone keeps an unprivileged command out; root passes it through
    // CAP_SYS_ADMIN (perfmon_capable), so root needs `uid` weakened as well.
    EscapeBuild weak = Build(Layers("dumpable", "uid") + (Root() ? "" : ",landlock"), {secret});
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_EQ(weak.Outcome("t", "environ"), "ESCAPED") << "positive control: " << weak.Log("t");
  }
  EscapeBuild real = Build("", {secret});
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Outcome("t", "environ"), "BLOCKED") << real.OutcomeLine("t", "environ");
  EXPECT_EQ(real.Log("t").find(secret), std::string::npos);
}

struct FileState {
  mode_t mode = 0;
  timespec mtime{};
  bool xattr = false;
  bool operator==(const FileState& o) const {
    return mode == o.mode && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
           xattr == o.xattr;
  }
};

std::ostream& operator<<(std::ostream& os, const FileState& s) {
  return os << "mode " << std::oct << s.mode << std::dec << " mtime " << s.mtime.tv_sec << " xattr "
            << s.xattr;
}

FileState StateOf(const std::string& path) {
  FileState s;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return s;
  s.mode = st.st_mode & 07777;
  s.mtime = st.st_mtim;
  char v[8];
  s.xattr = getxattr(path.c_str(), "user.fanout_escape", v, sizeof v) >= 0;
  return s;
}

void Restore(const std::string& path, const FileState& s) {
  chmod(path.c_str(), s.mode);
  const timespec times[2] = {s.mtime, s.mtime};
  utimensat(AT_FDCWD, path.c_str(), times, 0);
  removexattr(path.c_str(), "user.fanout_escape");
}

// chmod, utimensat and setxattr on an undeclared repository file, on .git/config and on a
// dependency's artifact (through $FANOUT_DEPS) all fail, and the host's files keep their mode,
// mtime and extended attributes.
TEST_P(EscapeProcessE2E, MetadataOfHostFilesIsUnchanged) {
  Write("undeclared/secret.txt", "not an input\n");
  std::string attacks;
  for (const std::string& path :
       {Repo("undeclared/secret.txt"), Repo(".git/config"), std::string("$FANOUT_DEPS/a/a.txt")}) {
    for (const char* op : {"chmod", "utime", "setxattr"}) {
      attacks += Attack() + " " + op + " \"" + path + "\"; ";
    }
  }
  Describe(Target("a", "echo a > \"$FANOUT_OUT/a.txt\" && chmod 644 \"$FANOUT_OUT/a.txt\"",
                  {"artifacts: [a.txt]"}) +
           Target("b", attacks, {"deps: [a]"}));
  Commit();
  const std::vector<std::string> repo_files = {Repo("undeclared/secret.txt"), Repo(".git/config")};
  std::vector<FileState> before;
  for (const std::string& f : repo_files) before.push_back(StateOf(f));
  // Whether this file system keeps user extended attributes at all.
  const bool xattrs =
      setxattr(repo().c_str(), "user.fanout_probe", "1", 1, 0) == 0 || errno != ENOTSUP;
  removexattr(repo().c_str(), "user.fanout_probe");

  auto dep_artifacts = [](const EscapeBuild& b) {
    return std::vector<std::string>{b.Out("a") + "/a.txt", b.Gathered("a") + "/a.txt"};
  };
  if (!Namespaces()) {
    EscapeBuild weak = Build(Layers("metadata", "uid"));
    const std::string log = weak.Log("b");
    for (const std::string& f : repo_files) {
      EXPECT_EQ(weak.Outcome("b", "chmod", f), "ESCAPED") << "positive control: " << log;
      EXPECT_EQ(weak.Outcome("b", "utime", f), "ESCAPED") << "positive control: " << log;
      if (xattrs) {
        EXPECT_EQ(weak.Outcome("b", "setxattr", f), "ESCAPED") << "positive control: " << log;
      }
    }
    for (size_t i = 0; i < repo_files.size(); ++i) {
      EXPECT_FALSE(StateOf(repo_files[i]) == before[i]) << "positive control: " << repo_files[i];
      Restore(repo_files[i], before[i]);
      ASSERT_EQ(StateOf(repo_files[i]), before[i]);
    }
    EXPECT_EQ(StateOf(dep_artifacts(weak)[0]).mode, 0640u)
        << "positive control: the dependency's artifact keeps the chmod";
  }
  EscapeBuild real = Build("");
  const std::string log = real.Log("b");
  ASSERT_FALSE(real.OutcomeLine("b", "chmod").empty()) << real.run.err << log;
  for (const char* op : {"chmod", "utime", "setxattr"}) {
    for (const std::string& f : repo_files) {
      EXPECT_NE(real.Outcome("b", op, f), "ESCAPED") << log;
    }
    EXPECT_NE(real.Outcome("b", op, "/a/a.txt"), "ESCAPED") << log;
  }
  for (size_t i = 0; i < repo_files.size(); ++i) {
    EXPECT_EQ(StateOf(repo_files[i]), before[i]) << repo_files[i];
  }
  for (const std::string& f : dep_artifacts(real)) {
    if (!Exists(f)) continue;  // not gathered when b failed
    const FileState s = StateOf(f);
    EXPECT_EQ(s.mode & 0777, 0644u) << f;
    EXPECT_NE(s.mtime.tv_sec, 1000000000) << f;
    EXPECT_FALSE(s.xattr) << f;
  }
}

INSTANTIATE_TEST_SUITE_P(Escape, EscapeProcessE2E, ::testing::ValuesIn(AllEscapeVariants()),
                         EscapeVariantName);

}  // namespace
}  // namespace fanout::testing
