#include "sandbox/log_relay.h"

#include <fcntl.h>
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
  (*relay)->Run();
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

TEST(LogRelayTest, UnderTheLimitEverythingIsKept) {
  TempDir dir;
  std::uint64_t dropped = 0;
  const std::string log = RelayChild(dir / "log.txt", 1 << 20, 100000, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(log, std::string(100000, 'x') + "END");
}

}  // namespace
}  // namespace fanout::sandbox
