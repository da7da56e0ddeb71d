// End-to-end: what check, doctor and gen say about a description that gives a target more
// than it may mean to (a container engine's socket, a pass_env path in the private /tmp), and
// gen refusing a build directory that git tracks files in. The real fanout binary, real git.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "test_util.h"

namespace fanout::testing {
namespace {

// `img` declares the Docker socket on line 6 (the path at column 30); `agent` only an SSH
// agent's socket.
constexpr char kDescription[] =
    "version: 1\n"
    "targets:\n"
    "  img:\n"
    "    command: echo img\n"
    "    inputs: [src/**]\n"
    "    sockets: [/run/ssh.sock, /var/run/docker.sock]\n"
    "    pass_env: [HOME, KEY_FILE]\n"
    "  agent:\n"
    "    command: echo agent\n"
    "    inputs: [src/**]\n"
    "    sockets: [/run/ssh.sock]\n";

constexpr char kDockerWarning[] =
    "fanout.yaml:6:30: warning: target 'img' declares the Docker socket '/var/run/docker.sock': "
    "any command of this target can start a privileged container and become root on this "
    "machine\n"
    "    sockets: [/run/ssh.sock, /var/run/docker.sock]\n"
    "                             ^\n"
    "note: ";

class SecurityWarningsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("src/main.txt", "source\n");
    repo_.Write("fanout.yaml", kDescription);
    repo_.Commit("initial");
  }

  RunResult Fanout(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path(), env);
  }

  /// The description without the Docker socket: the positive control of each warning.
  void DropDockerSocket() {
    std::string text = kDescription;
    const std::string docker = ", /var/run/docker.sock";
    text.erase(text.find(docker), docker.size());
    repo_.Write("fanout.yaml", text);
  }

  GitRepo repo_;
};

TEST_F(SecurityWarningsE2E, Check_WarnsAtTheDeclaredDockerSocketAndStillSucceeds) {
  RunResult r = Fanout({"check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(kDockerWarning), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("'agent'"), std::string::npos) << "an SSH agent socket is no engine";
  EXPECT_NE(r.out.find("fanout.yaml: ok: 2 targets"), std::string::npos) << r.out;

  DropDockerSocket();
  r = Fanout({"check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST_F(SecurityWarningsE2E, Doctor_ListsTheTargetsWithAnEngineSocket) {
  const std::string line =
      "host-root sockets      target 'img' declares the Docker socket '/var/run/docker.sock': "
      "any command of this target can become root on this machine\n";
  RunResult r = Fanout({"doctor"});  // finds fanout.yaml at the work tree's root
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("description " + repo_ / "fanout.yaml" + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("'agent'"), std::string::npos) << r.out;

  r = Fanout({"doctor", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["description"]["host_root_sockets"],
            nlohmann::json::parse(R"([{"target": "img", "socket": "/var/run/docker.sock",
                                      "engine": "Docker"}])"));

  // -f names another description; one without such a socket says so.
  DropDockerSocket();
  repo_.Write("ci/other.yaml", kDescription);
  r = Fanout({"doctor", "-f", "ci/other.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("description ci/other.yaml\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
  r = Fanout({"doctor"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("host-root sockets      none\n"), std::string::npos) << r.out;
}

TEST_F(SecurityWarningsE2E, Doctor_SaysWhenTheDescriptionDoesNotLoad) {
  repo_.Write("fanout.yaml", "version: 1\ntargets: [x]\n");
  RunResult r = Fanout({"doctor"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("host-root sockets      unknown: it does not load"), std::string::npos)
      << r.out;
}

TEST_F(SecurityWarningsE2E, Gen_WarnsAtAPassEnvEntryWhoseValueIsInTmp) {
  const std::string warning =
      "fanout.yaml:7:22: warning: 'pass_env' variable 'KEY_FILE' of target 'img' is a path in "
      "/tmp, but the sandbox gives each target a private /tmp, so the path will not exist "
      "there\n"
      "    pass_env: [HOME, KEY_FILE]\n"
      "                     ^\n"
      "help: pass the file another way";
  for (const char* value : {"/tmp/key.pem", "/tmp"}) {
    SCOPED_TRACE(value);
    RunResult r = Fanout({"gen"}, {std::string("KEY_FILE=") + value});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(warning), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("key.pem"), std::string::npos) << "the value is not shown";
  }
  for (const char* value : {"/srv/key.pem", "/tmpfoo/key.pem"}) {
    SCOPED_TRACE(value);
    RunResult r = Fanout({"gen"}, {std::string("KEY_FILE=") + value});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("KEY_FILE"), std::string::npos) << r.err;
  }
}

TEST_F(SecurityWarningsE2E, Gen_RefusesABuildDirectoryThatGitTracksFilesIn) {
  // Positive control first: an untracked build directory with the same file is used.
  repo_.Write("build/.fanout/sandbox-probe.json", "{}\n");
  RunResult r = Fanout({"gen", "-B", "build"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Exists(repo_ / "build/build.ninja"));

  // The same file committed (as a pull request could): refused before anything is written.
  TempDir scratch;
  Sh("rm -rf build && mkdir -p build/.fanout && echo '{}' > build/.fanout/sandbox-probe.json",
     repo_.path());
  repo_.Git({"add", "-f", "build/.fanout/sandbox-probe.json"});
  repo_.Git({"commit", "-q", "-m", "plant a probe"});
  const std::string message =
      "fanout: error: build directory 'build' holds files tracked by git "
      "('build/.fanout/sandbox-probe.json'); fanout keeps its state there and will not trust or "
      "overwrite tracked files: pass another directory with -B or 'build_dir:' in fanout.yaml "
      "(the default is 'fanout-out'), or untrack them with 'git rm -r --cached build'";
  for (const char* command : {"gen", "build"}) {
    SCOPED_TRACE(command);
    r = Fanout({command, "-B", "build"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(Sh("find build -type f | sort", repo_.path()).out,
              "build/.fanout/sandbox-probe.json\n")
        << "nothing is written";
    EXPECT_EQ(ReadFile(repo_ / "build/.fanout/sandbox-probe.json"), "{}\n");
  }
  // Named another way (an absolute path, a path through a subdirectory): still refused.
  for (const std::string& named : {repo_ / "src/../build", std::string("build/")}) {
    r = Fanout({"gen", "-B", named});
    EXPECT_EQ(r.exit_code, 2) << named << ": " << r.err;
  }
  // A tracked directory elsewhere does not matter; another build directory works.
  r = Fanout({"gen", "-B", "out/fanout"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Exists(repo_ / "out/fanout/build.ninja"));
  r = Fanout({"gen", "-B", scratch / "b"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SecurityWarningsE2E, Gen_RefusesABuildDirectoryThatIsATrackedFile) {
  repo_.Write("out", "a tracked file\n");
  repo_.Commit("a file named out");
  RunResult r = Fanout({"gen", "-B", "out"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("build directory 'out' holds files tracked by git ('out')"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(ReadFile(repo_ / "out"), "a tracked file\n");
}

}  // namespace
}  // namespace fanout::testing
