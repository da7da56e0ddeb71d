// End-to-end: when fanout runs as root, a target's command runs as the unprivileged build user,
// which reaches a declared socket only through the socket's group or its mode. A socket it
// cannot connect to gets a warning in the target's log, naming the socket and what to do.
#include <gtest/gtest.h>
#include <unistd.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

constexpr const char* kWarning = "the build user cannot connect to it";

class SocketReachE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the build user exists only when fanout runs as root";
    ASSERT_EQ(Sh("chmod 0755 " + dir_.path()).exit_code, 0);
    sock_ = dir_ / "engine.sock";
    // A bound Unix socket's file outlives the process that bound it.
    ASSERT_EQ(fanout::testing::Run(
                  {"python3", "-c",
                   "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", sock_})
                  .exit_code,
              0);
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n  t:\n    command: cat in.txt\n"
                "    inputs: [in.txt]\n    sockets: [" +
                    sock_ + "]\n");
    repo_.Write("in.txt", "1\n");
    repo_.Commit();
  }

  std::string BuildAndReadLog(const std::string& mode, const std::string& content) {
    EXPECT_EQ(fanout::testing::Run({"chmod", mode, sock_}).exit_code, 0);
    repo_.Write("in.txt", content);  // a new input: the target runs again
    repo_.Commit();
    RunResult r = fanout::testing::Run({FanoutBinary(), "build"}, repo_.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return ReadFile(repo_ / "fanout-out/targets/t/log.txt");
  }

  TempDir dir_;
  GitRepo repo_;
  std::string sock_;
};

TEST_F(SocketReachE2E, ASocketOnlyRootCanReachIsFlagged) {
  // Positive control: the same socket open to everyone draws no warning.
  EXPECT_EQ(BuildAndReadLog("0666", "2\n").find(kWarning), std::string::npos);
  const std::string log = BuildAndReadLog("0660", "3\n");  // root:root, 0660
  EXPECT_NE(log.find("declared socket '" + sock_ + "' of 't' is mode 0660, group 0: " + kWarning),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace fanout::testing
