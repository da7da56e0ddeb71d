// sandbox/access_trace.h: strace's per-process files of a `fanout exec`, read back into what
// the command read and what it looked for. The texts are strace 6.1's, as Debian 12 prints
// them (tests/e2e/audit_e2e_test.cc runs the real thing).
#include "sandbox/access_trace.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace fanout::sandbox {
namespace {

constexpr char kFanout[] = "/usr/bin/fanout";
constexpr char kWs[] = "/b/.fanout/ws/t/src";

using Names = std::set<std::string>;

TEST(AccessTrace, TheCommandsReadsAndMissesNotFanoutsOwn) {
  const std::map<int, std::string> files = {
      {100,
       "execve(\"/usr/bin/fanout\", [\"fanout\", \"exec\", \"t\"], 0x7ff /* 4 vars */) = 0\n"
       // fanout itself reads inputs while making the workspace: not the command's reads.
       "openat(AT_FDCWD, \"/b/.fanout/ws/t/src/unread.txt\", O_RDONLY|O_CLOEXEC) = 3\n"
       "clone(child_stack=0x7f, flags=CLONE_NEWNS|CLONE_NEWPID|SIGCHLD) = 101\n"
       "+++ exited with 0 +++\n"},
      {101,
       "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 2 /* "
       "102 in strace's PID NS */\n"},
      {102,
       "chdir(\"/b/.fanout/ws/t/src\") = 0\n"
       "execve(\"/bin/sh\", [\"/bin/sh\", \"-c\", \"cat a.txt\"], 0x55 /* 10 vars */) = 0\n"
       "vfork() = 3 /* 103 in strace's PID NS */\n"
       "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---\n"},
      {103,
       "execve(\"/usr/bin/cat\", [\"cat\", \"a.txt\"], 0x55 /* 11 vars */) = 0\n"
       "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3\n"
       "openat(AT_FDCWD, \"a.txt\", O_RDONLY) = 3\n"
       "openat(AT_FDCWD, \"./d/../with\\\"quote\\n.txt\", O_RDONLY) = 3\n"
       "openat(AT_FDCWD, \"lib/missing.txt\", O_RDONLY) = -1 ENOENT (No such file or directory)\n"
       "newfstatat(AT_FDCWD, \"conf/looked.yaml\", 0x7ff, 0) = -1 ENOENT (No such file or "
       "directory)\n"
       "openat(AT_FDCWD, \"out/written.txt\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4\n"
       "openat(AT_FDCWD, \"sub\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 5\n"
       "openat(5, \"relative-to-fd.txt\", O_RDONLY) = 6\n"
       "chdir(\"sub\") = 0\n"
       "openat(AT_FDCWD, \"inner.txt\", O_RDONLY) = 6\n"
       "+++ exited with 0 +++\n"},
  };
  auto trace = ReadAccessTrace(files, kFanout, kWs);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ(trace->read, (Names{"a.txt", "with\"quote\n.txt", "sub/inner.txt"}));
  EXPECT_EQ(trace->missing, (Names{"lib/missing.txt", "conf/looked.yaml"}));
  EXPECT_EQ(trace->processes, 2u);
}

TEST(AccessTrace, ProcessesStraceCannotReadOrLinkStartInTheWorkspace) {
  // An unprivileged user's sandbox: fanout is not dumpable, so its arguments are addresses,
  // and a clone inside its own user namespace returns an id of that namespace only.
  const std::map<int, std::string> files = {
      {200,
       "execve(\"/usr/bin/fanout\", [\"fanout\", \"exec\", \"t\"], 0x7ff /* 4 vars */) = 0\n"
       "openat(AT_FDCWD, 0x55d2dcc82740, O_RDONLY|O_CLOEXEC) = 4\n"
       "clone(child_stack=0x7f, flags=CLONE_NEWUSER|CLONE_NEWPID|SIGCHLD) = 201\n"},
      {201, "clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x7f) = 2\n"},
      {203,
       "chdir(0x55d62246b290) = 0\n"
       "execve(0x55d61b8b72a7, 0x7fd7d961dd20, 0x55d62246c410) = 0\n"
       "vfork() = 206\n"},
      {206,
       "execve(\"/usr/bin/cat\", [\"cat\", \"a.txt\"], 0x55 /* 11 vars */) = 0\n"
       "openat(AT_FDCWD, \"a.txt\", O_RDONLY) = 3\n"},
  };
  auto trace = ReadAccessTrace(files, kFanout, kWs);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_EQ(trace->read, Names{"a.txt"});
  EXPECT_EQ(trace->processes, 2u);
}

TEST(AccessTrace, ATraceWithoutTheCommandIsAnError) {
  const std::map<int, std::string> files = {
      {300,
       "execve(\"/usr/bin/fanout\", [\"fanout\"], 0x7ff /* 4 vars */) = 0\n"
       "exit_group(2) = ?\n"}};
  auto trace = ReadAccessTrace(files, kFanout, kWs);
  ASSERT_FALSE(trace.ok());
  EXPECT_NE(trace.error().message.find("no process of the command"), std::string::npos);
  EXPECT_FALSE(ReadAccessTrace({}, kFanout, kWs).ok());
}

TEST(AccessTrace, PathsResolveAgainstTheWorkingDirectory) {
  EXPECT_EQ(ResolvePath("/w", "a/./b/../c"), "/w/a/c");
  EXPECT_EQ(ResolvePath("/w", "/abs//x/"), "/abs/x");
  EXPECT_EQ(ResolvePath("/w", "../../.."), "/");
}

}  // namespace
}  // namespace fanout::sandbox
