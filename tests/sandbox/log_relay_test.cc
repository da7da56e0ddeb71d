#include "sandbox/log_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::sandbox {
namespace {

using fanout::testing::ReadFile;
using fanout::testing::TempDir;

/// Relays what a child process writes (`bytes` bytes of 'x', then "END") into a fresh log with
/// `limit`; returns the log's text and sets `dropped`.
std::string RelayChild(const std::string& log, std::uint64_t limit, std::size_t bytes,
                       std::uint64_t* dropped) {
  UniqueFd fd(open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  EXPECT_TRUE(fd);
  auto relay = LogRelay::Create(fd.get(), limit);
  EXPECT_TRUE(relay.ok());
  const int out = (*relay)->write_fd();
  const pid_t pid = fork();
  if (pid == 0) {
    std::string chunk(4096, 'x');
    for (std::size_t left = bytes; left > 0;) {
      const std::size_t n = std::min(left, chunk.size());
      if (write(out, chunk.data(), n) != static_cast<ssize_t>(n)) _exit(1);
      left -= n;
    }
    _exit(write(out, "END", 3) == 3 ? 0 : 1);
  }
  // As Supervise does (sandbox/isolate.h): poll the pipe and drain it until it ends.
  (*relay)->CloseWriteEnd();
  while ((*relay)->read_fd() >= 0) {
    pollfd pfd = {(*relay)->read_fd(), POLLIN, 0};
    EXPECT_GE(poll(&pfd, 1, -1), 0);
    (*relay)->Drain();
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  // The writer finished: it never blocked on the pipe past the limit.
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  *dropped = (*relay)->Finish();
  return ReadFile(log);
}

TEST(LogRelayTest, PastTheLimitOutputIsDroppedWithANoteWhereCut) {
  TempDir dir;
  std::uint64_t dropped = 0;
  const std::string log = RelayChild(dir / "log.txt", 1000, 1 << 20, &dropped);
  EXPECT_EQ(dropped, (1u << 20) + 3 - 1000);
  EXPECT_EQ(log, std::string(1000, 'x') + LogCutNote(1000, dropped));
  EXPECT_EQ(LogCutNote(1000, 5), "\n[fanout: log cut at 1000 bytes; 5 bytes dropped]\n");
}

TEST(LogRelayTest, WhatIsLeftInThePipeIsRelayedAtTheEnd) {
  // A command whose output was not drained while it ran (its sandbox ended first): Finish
  // relays what the pipe still holds, without waiting for more.
  TempDir dir;
  const std::string log = dir / "log.txt";
  UniqueFd fd(open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd);
  auto relay = LogRelay::Create(fd.get(), 1 << 20);
  ASSERT_TRUE(relay.ok());
  UniqueFd writer(dup((*relay)->write_fd()));  // a process of the sandbox that is still there
  ASSERT_EQ(write(writer.get(), "left", 4), 4);
  (*relay)->CloseWriteEnd();
  EXPECT_EQ((*relay)->Finish(), 0u);
  EXPECT_EQ(ReadFile(log), "left");
}

TEST(LogRelayTest, UnderTheLimitEverythingIsKept) {
  TempDir dir;
  std::uint64_t dropped = 0;
  const std::string log = RelayChild(dir / "log.txt", 1 << 20, 100000, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(log, std::string(100000, 'x') + "END");
}

}  // namespace
}  // namespace fanout::sandbox
