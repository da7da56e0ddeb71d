// The command's first process (sandbox/spawn.h): started on the caller's memory, and with
// CLONE_VFORK the caller resumes only once it has executed its program.
#include "sandbox/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace fanout::sandbox {
namespace {

struct Child {
  int marker = 0;  ///< set by the child: seen here only when the memory is shared
  int pipe_fd = -1;
};

int SetMarkerAndExec(void* arg) {
  auto* c = static_cast<Child*>(arg);
  c->marker = 42;
  // Written before the exec: with CLONE_VFORK the caller finds it there when it resumes.
  if (write(c->pipe_fd, "before-exec", 11) != 11) _exit(2);
  const char* argv[] = {"/bin/true", nullptr};
  execv("/bin/true", const_cast<char* const*>(argv));
  _exit(127);
}

TEST(Spawn, TheChildRunsOnTheCallersMemoryAndTheCallerResumesAfterItsExec) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  Child child;
  child.pipe_fd = fds[1];
  const SpawnStack stack;
  ASSERT_TRUE(stack.ok());
  const pid_t pid = SpawnSharingMemory(SetMarkerAndExec, &child, CLONE_VFORK, stack);
  ASSERT_GT(pid, 0);
  // Not blocking: it is there already, written before the exec the caller waited for.
  char buf[32] = {};
  EXPECT_EQ(read(fds[0], buf, sizeof buf), 11);
  EXPECT_STREQ(buf, "before-exec");
  // The child's write landed in this process's memory (a copy, under a sanitizer).
  EXPECT_EQ(child.marker, SpawnSharesMemory() ? 42 : 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  close(fds[0]);
  close(fds[1]);
}

TEST(Spawn, SharedExceptUnderASanitizer) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  EXPECT_FALSE(SpawnSharesMemory());
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
  EXPECT_FALSE(SpawnSharesMemory());
#else
  EXPECT_TRUE(SpawnSharesMemory());
#endif
#else
  EXPECT_TRUE(SpawnSharesMemory());
#endif
}

}  // namespace
}  // namespace fanout::sandbox
