// Temporary names' random bits (base/temp_name.h).
#include "base/temp_name.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <set>

#include <gtest/gtest.h>

namespace fanout {
namespace {

TEST(TempName, BitsDifferFromCallToCall) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(TempNameBits());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TempName, AForkedChildDoesNotRepeatItsParent) {
  // The exec server's workers are forked from one process: a generator seeded once, before the
  // fork, would give each the same next name. Parent and child each take their next bits.
  (void)TempNameBits();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::uint64_t bits = TempNameBits();
    _exit(write(fds[1], &bits, sizeof bits) == sizeof bits ? 0 : 1);
  }
  close(fds[1]);
  const std::uint64_t mine = TempNameBits();
  std::uint64_t theirs = 0;
  ASSERT_EQ(read(fds[0], &theirs, sizeof theirs), static_cast<ssize_t>(sizeof theirs));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_NE(mine, theirs);
}

}  // namespace
}  // namespace fanout
