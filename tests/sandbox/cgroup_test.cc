// Parsing /proc/PID/cgroup and /proc/PID/mountinfo, the cgroup probe, and one edge cgroup's
// life (created with its limits, joined, killed and removed) where this machine allows it.
#include "sandbox/cgroup.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::CgroupDir;
using sandbox::CgroupMount;
using sandbox::CgroupSupport;
using sandbox::CgroupVersion;
using sandbox::ParseCgroupMounts;
using sandbox::ParseProcCgroup;

TEST(Cgroup, ParseProcCgroup_HybridAndUnified) {
  auto e = ParseProcCgroup(
      "9:name=systemd:/\n"
      "4:memory:/process_api/3205\n"
      "2:cpu,cpuacct:/\n"
      "0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope\n");
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].hierarchy, 9);
  EXPECT_EQ(e[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ(e[1].controllers, std::vector<std::string>{"memory"});
  EXPECT_EQ(e[1].path, "/process_api/3205");
  EXPECT_EQ(e[2].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(e[3].hierarchy, 0);
  EXPECT_TRUE(e[3].controllers.empty());
  EXPECT_EQ(e[3].path, "/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope");
}

TEST(Cgroup, ParseProcCgroup_SkipsMalformedKeepsColonsInPath) {
  auto e = ParseProcCgroup("garbage\n:memory:/x\nx:memory:/y\n3:pids:relative\n0::/a:b\n\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].path, "/a:b");
}

TEST(Cgroup, ParseCgroupMounts_V1V2AndEscapes) {
  auto m = ParseCgroupMounts(
      "23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 master:3 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 40 0:27 /docker/abc /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_FALSE(m[0].v2);
  EXPECT_EQ(m[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(m[0].controllers, std::vector<std::string>{"memory"});
  EXPECT_EQ(m[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");  // optional fields skipped
  EXPECT_EQ(m[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_TRUE(m[2].v2);
  EXPECT_EQ(m[2].root, "/");
  EXPECT_TRUE(m[2].controllers.empty());
  EXPECT_EQ(m[3].root, "/docker/abc");
  EXPECT_EQ(m[3].mount_point, "/mnt/cg two");
}

TEST(Cgroup, CgroupDir_MapsPathThroughTheMountRoot) {
  CgroupMount whole{true, "/", "/sys/fs/cgroup", {}};
  EXPECT_EQ(CgroupDir(whole, "/"), "/sys/fs/cgroup");
  EXPECT_EQ(CgroupDir(whole, "/a/b"), "/sys/fs/cgroup/a/b");
  CgroupMount sub{false, "/docker/abc", "/sys/fs/cgroup/memory", {"memory"}};
  EXPECT_EQ(CgroupDir(sub, "/docker/abc"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(CgroupDir(sub, "/docker/abc/x"), "/sys/fs/cgroup/memory/x");
  EXPECT_EQ(CgroupDir(sub, "/docker/abcd"), "");
  EXPECT_EQ(CgroupDir(sub, "/other"), "");
}

TEST(Cgroup, DescribeCgroupSupport) {
  CgroupSupport none;
  none.unavailable = "cgroup not delegated: /sys/fs/cgroup/x belongs to uid 0";
  EXPECT_EQ(sandbox::DescribeCgroupSupport(none),
            "rlimits only (cgroup not delegated: /sys/fs/cgroup/x belongs to uid 0)");
  CgroupSupport v1{CgroupVersion::kV1, "/m", "/p", ""};
  EXPECT_EQ(sandbox::DescribeCgroupSupport(v1), "cgroup v1 (memory, pids)");
  CgroupSupport v2{CgroupVersion::kV2, "", "/c", "no memory controller in /c/cgroup.controllers"};
  EXPECT_EQ(sandbox::DescribeCgroupSupport(v2),
            "cgroup v2 (pids); memory by rlimit: no memory controller in /c/cgroup.controllers");
}

TEST(Cgroup, ProbeIsConsistent) {
  CgroupSupport s = sandbox::ProbeCgroups();
  std::printf("note: limits here: %s\n", sandbox::DescribeCgroupSupport(s).c_str());
  if (s.version == CgroupVersion::kNone) {
    EXPECT_FALSE(s.unavailable.empty());
    EXPECT_TRUE(s.memory_parent.empty() && s.pids_parent.empty());
  } else {
    EXPECT_FALSE(s.memory_parent.empty() && s.pids_parent.empty());
    EXPECT_EQ(s.unavailable.empty(), !s.memory_parent.empty() && !s.pids_parent.empty());
  }
}

TEST(Cgroup, EdgeCgroup_LimitsJoinKillAndRemove) {
  const CgroupSupport s = sandbox::ProbeCgroups();
  if (s.memory_parent.empty() || s.pids_parent.empty()) {
    GTEST_SKIP() << "cgroups cannot hold memory and pids limits here: "
                 << sandbox::DescribeCgroupSupport(s);
  }
  Limits limits;
  limits.memory_bytes = 64ull << 20;
  limits.pids = 7;
  auto cg = sandbox::EdgeCgroup::Create(s, limits);
  ASSERT_TRUE(cg.ok()) << cg.error().message;
  const std::vector<std::string> dirs = (*cg)->dirs();
  ASSERT_FALSE(dirs.empty());
  const bool v2 = s.version == CgroupVersion::kV2;
  const std::string mem_dir = dirs.front(), pids_dir = dirs.back();
  EXPECT_EQ(ReadFile(mem_dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes")), "67108864\n");
  EXPECT_EQ(ReadFile(pids_dir + "/pids.max"), "7\n");

  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    std::string err = sandbox::JoinCgroups((*cg)->joins());
    if (write(ready[1], err.empty() ? "k" : "x", 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  EXPECT_EQ(c, 'k');
  for (const std::string& d : dirs) {
    EXPECT_EQ(ReadFile(d + "/cgroup.procs"), std::to_string(child) + "\n") << d;
  }
  EXPECT_FALSE((*cg)->MemoryLimitHit());
  EXPECT_FALSE((*cg)->PidsLimitHit());
  Status destroyed = (*cg)->Destroy();
  EXPECT_TRUE(destroyed.ok()) << destroyed.error().message;
  // Killed; reaped by Destroy (it reaps its children) or by us now.
  int status = 0;
  const pid_t reaped = waitpid(child, &status, 0);
  EXPECT_TRUE(reaped < 0 || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) << status;
  EXPECT_NE(kill(child, 0), 0);
  for (const std::string& d : dirs) EXPECT_FALSE(Exists(d)) << d;
}

TEST(Cgroup, EdgeCgroup_EmptiesOneLeftByAKilledFanoutWithOurPid) {
  const CgroupSupport s = sandbox::ProbeCgroups();
  if (s.pids_parent.empty()) {
    GTEST_SKIP() << "cgroups cannot hold a pids limit here: " << sandbox::DescribeCgroupSupport(s);
  }
  Limits limits;
  limits.pids = 5;
  auto first = sandbox::EdgeCgroup::Create(s, limits);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const std::string dir = (*first)->dirs().back();
  pid_t straggler = fork();
  if (straggler == 0) {
    if (!sandbox::JoinCgroups((*first)->joins()).empty()) _exit(1);
    pause();
    _exit(0);
  }
  for (int i = 0; i < 10000 && ReadFile(dir + "/cgroup.procs").empty(); ++i) usleep(1000);
  ASSERT_NE(ReadFile(dir + "/cgroup.procs"), "") << "the straggler never joined the cgroup";
  // As if fanout had been killed: the cgroup and its process stay. The object is never
  // destroyed (that would remove the cgroup) and stays reachable to the end, exit included,
  // so it is no leak either.
  static auto* abandoned = new std::vector<sandbox::EdgeCgroup*>;
  abandoned->push_back(first->release());
  auto second = sandbox::EdgeCgroup::Create(s, limits);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ((*second)->dirs().back(), dir);
  EXPECT_EQ(ReadFile(dir + "/cgroup.procs"), "");
  int status = 0;
  const pid_t reaped = waitpid(straggler, &status, 0);
  EXPECT_TRUE(reaped < 0 || WIFSIGNALED(status));
  EXPECT_TRUE((*second)->Destroy().ok());
  EXPECT_FALSE(Exists(dir));
}

}  // namespace
}  // namespace fanout::testing
