// The escape suite, privilege attacks (issue 12): host root through the command's uid, a sysctl
// write, /proc's host-global files, setuid-capable writable mounts and setuid artifacts. Each
// test first runs the attack against fanout-weakened with the layers that guard against it
// turned off and checks that it works (the positive control), then against the real fanout and
// checks that the host is unchanged. Where no positive control is possible the test says why.
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <gtest/gtest.h>

#include "escape_fixture.h"

namespace fanout::testing {
namespace {

class EscapePrivilegeE2E : public EscapeTest {};
class EscapeNamespacesPrivilegeE2E : public EscapeTest {};

// The fields "Key=value" and "Uid=[r e s f]" of the identity attack's line.
std::string Field(const std::string& line, const std::string& key) {
  size_t at = line.find(" " + key + "=");
  if (at == std::string::npos) return "?";
  at += key.size() + 2;
  if (line[at] == '[') return line.substr(at + 1, line.find(']', at) - at - 1);
  return line.substr(at, line.find(' ', at) - at);
}

bool AllZero(const std::string& hex) {
  return !hex.empty() && hex != "?" && hex.find_first_not_of('0') == std::string::npos;
}

uid_t OwnerOf(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

TEST_P(EscapePrivilegeE2E, CommandNeverRunsAsHostRoot) {
  // The file the command creates in its HOME shows, on the host, which uid the host saw (the
  // collected artifacts in out/ are handed back to fanout's own uid, so they cannot tell).
  Describe(Target("t", Attack() + " identity \"$HOME/owner\""));
  auto owner = [](const EscapeBuild& b) {
    const std::string path = b.dir + "/.fanout/ws/t/home/owner";
    EXPECT_TRUE(Exists(path)) << path;
    return OwnerOf(path);
  };
  Commit();
  if (Root()) {
    EscapeBuild weak = Build(Layers("", "uid"));
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_EQ(owner(weak), 0u)
        << "positive control: with `uid` weakened the command's files are host root's";
    if (!Namespaces()) {
      EXPECT_EQ(weak.Outcome("t", "identity"), "ESCAPED") << weak.Log("t");
      EXPECT_FALSE(AllZero(Field(weak.OutcomeLine("t", "identity"), "CapEff")));
    }
  }
  // Unprivileged: no sandbox is needed to stop this (fanout holds no host root to give away),
  // so there is no positive control; the command must still not gain anything.
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  const std::string line = real.OutcomeLine("t", "identity");
  ASSERT_FALSE(line.empty()) << real.Log("t");
  EXPECT_NE(owner(real), 0u) << "the command's files are owned by host root: " << line;
  // In the namespaces tier the owner above is the truth (the line's host-uid reads one level
  // of uid_map only); in the process tier there is no user namespace and the line is the truth.
  if (!Namespaces()) {
    std::istringstream uids(Field(line, "Uid"));
    for (long id; uids >> id;) EXPECT_NE(id, 0) << "the command runs as root: " << line;
    EXPECT_TRUE(AllZero(Field(line, "CapEff"))) << line;
    EXPECT_TRUE(AllZero(Field(line, "CapPrm"))) << line;
    if (Root()) {
      EXPECT_TRUE(AllZero(Field(line, "CapBnd"))) << line;
    }
    EXPECT_EQ(Field(line, "NoNewPrivs"), "1") << line;
  }
}

// Writes the current value of kernel.core_pattern back to it: the machine never changes, but a
// successful write shows that a command could set `|/workspace/x %p` and run it as host root.
TEST_P(EscapePrivilegeE2E, SysctlWriteIsRefused) {
  const std::string sysctl = "/proc/sys/kernel/core_pattern";
  const std::string before = ReadFile(sysctl);
  ASSERT_FALSE(before.empty());
  Describe(Target("t", Attack() + " sysctl " + sysctl));
  Commit();
  if (Root()) {
    // The process tier's Landlock rules also refuse writes to /proc/sys, so it is weakened too.
    EscapeBuild weak = Build(Namespaces() ? "uid,proc" : "uid,landlock");
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_EQ(weak.Outcome("t", "sysctl", sysctl), "ESCAPED")
        << "positive control: " << weak.Log("t");
    EXPECT_EQ(ReadFile(sysctl), before) << "the attack must write back the value it read";
  }
  // Unprivileged: the write fails with or without a sandbox (only host root may write
  // sysctls), so no positive control is possible; the value must be unchanged all the same.
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_NE(real.Outcome("t", "sysctl", sysctl), "") << real.Log("t");
  EXPECT_NE(real.Outcome("t", "sysctl", sysctl), "ESCAPED") << real.Log("t");
  EXPECT_EQ(ReadFile(sysctl), before);
}

// `chmod 4755` (and 2755) on an artifact: no setuid or setgid bit may reach the host, neither
// in targets/T/out/ nor in the gathered artifacts/ tree.
TEST_P(EscapePrivilegeE2E, SetuidArtifactLosesItsBits) {
  Describe(Target("t", Attack() + " setuid-artifact \"$FANOUT_OUT\"", {"artifacts: [suid, sgid]"}));
  Commit();
  auto mode = [](const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  };
  {
    EscapeBuild weak = Build(Layers("setuid", "uid"));
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    for (const std::string& dir : {weak.Out("t"), weak.Gathered("t")}) {
      EXPECT_TRUE(mode(dir + "/suid") & S_ISUID) << "positive control: " << dir;
      EXPECT_TRUE(mode(dir + "/sgid") & S_ISGID) << "positive control: " << dir;
      if (Root()) {
        EXPECT_EQ(OwnerOf(dir + "/suid"), 0u) << "positive control: setuid root";
      }
    }
  }
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  for (const std::string& dir : {real.Out("t"), real.Gathered("t")}) {
    ASSERT_TRUE(Exists(dir + "/suid")) << dir;
    EXPECT_FALSE(mode(dir + "/suid") & (S_ISUID | S_ISGID)) << dir << "/suid";
    EXPECT_FALSE(mode(dir + "/sgid") & (S_ISUID | S_ISGID)) << dir << "/sgid";
  }
}

INSTANTIATE_TEST_SUITE_P(Escape, EscapePrivilegeE2E, ::testing::ValuesIn(AllEscapeVariants()),
                         EscapeVariantName);

// /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus and /proc/fs are host-global; the
// namespaces tier covers them read-only.
TEST_P(EscapeNamespacesPrivilegeE2E, ProcHostFilesAreReadOnly) {
  Describe(Target("t", Attack() + " proc-covers"));
  Commit();
  EscapeBuild weak = Build("proc");
  ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
  EXPECT_EQ(weak.Outcome("t", "proc-covers"), "ESCAPED") << "positive control: " << weak.Log("t");
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Outcome("t", "proc-covers"), "BLOCKED") << real.Log("t");
}

// Every writable mount of the sandbox (workspace, out, home, tmp) is nosuid and nodev.
TEST_P(EscapeNamespacesPrivilegeE2E, WritableMountsAreNosuidNodev) {
  Describe(Target("t", Attack() + " mounts . \"$FANOUT_OUT\" \"$HOME\" \"$TMPDIR\" /tmp"));
  Commit();
  EscapeBuild weak = Build("nosuid");
  ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
  EXPECT_EQ(weak.Outcome("t", "mounts"), "ESCAPED") << "positive control: " << weak.Log("t");
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Outcome("t", "mounts"), "BLOCKED") << real.OutcomeLine("t", "mounts");
}

INSTANTIATE_TEST_SUITE_P(Escape, EscapeNamespacesPrivilegeE2E,
                         ::testing::ValuesIn(EscapeVariantsOf(EscapeTier::kNamespaces)),
                         EscapeVariantName);

}  // namespace
}  // namespace fanout::testing
