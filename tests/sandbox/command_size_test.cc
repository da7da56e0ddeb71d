#include "sandbox/command_size.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

namespace fanout::sandbox {
namespace {

TEST(CommandSizeTest, CommandTooLong_OneArgumentPastTheKernelsBound) {
  const std::string fits(kMaxArgStrlen - 1, 'x');
  EXPECT_EQ(CommandTooLong(fits, {"PATH=/bin"}), std::nullopt);
  const std::string too_long(kMaxArgStrlen, 'x');
  auto why = CommandTooLong(too_long, {"PATH=/bin"});
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rfind(std::string("cannot run the command: ") + std::strerror(E2BIG) +
                           " (the command is " + std::to_string(kMaxArgStrlen) + " bytes; ",
                       0),
            0u)
      << *why;
}

TEST(CommandSizeTest, CommandTooLong_AllStringsTogetherPastArgMax) {
  const std::vector<std::string> env(10, "V=" + std::string(1000, 'v'));
  EXPECT_EQ(CommandTooLong("true", env, 64 * 1024), std::nullopt);
  auto why = CommandTooLong("true", env, 8 * 1024);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("the command and its environment are"), std::string::npos) << *why;
  auto var = CommandTooLong("true", {"BIG=" + std::string(kMaxArgStrlen, 'b')});
  ASSERT_TRUE(var);
  EXPECT_NE(var->find("the environment variable 'BIG'"), std::string::npos) << *var;
}

// The bound is the kernel's: what the check lets through execve accepts, and what it refuses
// execve refuses with E2BIG.
TEST(CommandSizeTest, CommandTooLong_AgreesWithExecve) {
  for (std::size_t size : {kMaxArgStrlen - 1, kMaxArgStrlen}) {
    const std::string command(size, ' ');
    const bool refused = CommandTooLong(command, {}).has_value();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
      const char* envp[] = {nullptr};
      execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      _exit(errno == E2BIG ? 42 : 43);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status) == 42, refused) << size;
  }
}

}  // namespace
}  // namespace fanout::sandbox
