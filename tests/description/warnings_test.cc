#include "description/warnings.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "description/loader.h"

namespace fanout {
namespace {

Description LoadOk(const std::string& text) {
  LoadResult r = LoadDescriptionText(text, "fanout.yaml");
  EXPECT_TRUE(r.description) << r.FormatErrors();
  return r.description ? *r.description : Description{};
}

TEST(DescriptionWarningsTest, ContainerEngineOfSocket_NamesEnginesByFileName) {
  EXPECT_EQ(ContainerEngineOfSocket("/var/run/docker.sock"), "Docker");
  EXPECT_EQ(ContainerEngineOfSocket("/home/u/.docker/run/docker.sock"), "Docker");
  EXPECT_EQ(ContainerEngineOfSocket("/run/user/1000/podman/podman.sock"), "Podman");
  EXPECT_EQ(ContainerEngineOfSocket("/run/containerd/containerd.sock"), "containerd");
  EXPECT_EQ(ContainerEngineOfSocket("/run/buildkit/buildkitd.sock"), "BuildKit");
  EXPECT_EQ(ContainerEngineOfSocket("/run/user/1000/ssh-agent.sock"), std::nullopt);
  EXPECT_EQ(ContainerEngineOfSocket("/var/run/docker.sock.bak"), std::nullopt);
  EXPECT_EQ(ContainerEngineOfSocket("/var/run/mydocker.sock"), std::nullopt);
}

constexpr char kDescription[] =
    "version: 1\n"
    "targets:\n"
    "  img:\n"
    "    command: docker build .\n"
    "    inputs: [docker/**]\n"
    "    sockets: [/run/ssh.sock, /var/run/docker.sock]\n"
    "    pass_env: [HOME, KEY_FILE, TMPDIR, TMPX]\n"
    "  lint:\n"
    "    command: lint\n"
    "    inputs: [src/**]\n"
    "    sockets: [/run/podman/podman.sock]\n";

TEST(DescriptionWarningsTest, HostRootSocketWarnings_OnePerEngineSocketAtItsEntry) {
  const Description desc = LoadOk(kDescription);
  const std::vector<Diagnostic> w = HostRootSocketWarnings(desc, "fanout.yaml");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].severity, Severity::kWarning);
  EXPECT_EQ(w[0].mark.line, 6);
  EXPECT_EQ(w[0].mark.column, 30);
  EXPECT_EQ(w[0].message,
            "target 'img' declares the Docker socket '/var/run/docker.sock': any command of this "
            "target can start a privileged container and become root on this machine");
  ASSERT_EQ(w[0].notes.size(), 1u);
  EXPECT_EQ(w[0].notes[0].rfind("note: ", 0), 0u);
  EXPECT_EQ(w[1].mark.line, 11);
  EXPECT_NE(w[1].message.find("target 'lint' declares the Podman socket"), std::string::npos);
  EXPECT_EQ(FormatDiagnostic(w[0], kDescription).substr(0, 38),
            "fanout.yaml:6:30: warning: target 'img");
}

TEST(DescriptionWarningsTest, TmpPassEnvWarnings_OnlyForValuesInTmp) {
  const Description desc = LoadOk(kDescription);
  const std::map<std::string, std::string> env = {
      {"HOME", "/home/u"}, {"KEY_FILE", "/tmp/key.pem"}, {"TMPDIR", "/tmp"}, {"TMPX", "/tmpx/a"}};
  const std::vector<Diagnostic> w =
      TmpPassEnvWarnings(desc, "fanout.yaml", [&](const std::string& name) {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      });
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].severity, Severity::kWarning);
  EXPECT_EQ(w[0].mark.line, 7);
  EXPECT_EQ(w[0].mark.column, 22);
  EXPECT_EQ(w[0].message,
            "'pass_env' variable 'KEY_FILE' of target 'img' is a path in /tmp, but the sandbox "
            "gives each target a private /tmp, so the path will not exist there");
  EXPECT_EQ(w[0].message.find("key.pem"), std::string::npos) << "the value is not shown";
  EXPECT_EQ(w[1].mark.column, 32);
  EXPECT_NE(w[1].message.find("'TMPDIR'"), std::string::npos);
  const std::vector<Diagnostic> none = TmpPassEnvWarnings(
      desc, "fanout.yaml", [](const std::string&) { return std::optional<std::string>(); });
  EXPECT_TRUE(none.empty());
}

TEST(DescriptionWarningsTest, SubmoduleReachedBy_OnlyPatternsIntoItsFiles) {
  const std::vector<std::string> subs = {"lib/vendored", "third"};
  EXPECT_EQ(SubmoduleReachedBy("lib/vendored/**", subs), "lib/vendored");
  EXPECT_EQ(SubmoduleReachedBy("lib/vendored/src/*.c", subs), "lib/vendored");
  EXPECT_EQ(SubmoduleReachedBy("lib/vendored/README", subs), "lib/vendored");
  EXPECT_EQ(SubmoduleReachedBy("third/*", subs), "third");
  // The submodule itself (its commit), what contains it, and what merely looks alike.
  EXPECT_EQ(SubmoduleReachedBy("lib/vendored", subs), std::nullopt);
  EXPECT_EQ(SubmoduleReachedBy("lib/**", subs), std::nullopt);
  EXPECT_EQ(SubmoduleReachedBy("**", subs), std::nullopt);
  EXPECT_EQ(SubmoduleReachedBy("lib/vendored2/**", subs), std::nullopt);
  EXPECT_EQ(SubmoduleReachedBy("thirdparty/**", subs), std::nullopt);
  EXPECT_EQ(SubmoduleReachedBy("*/vendored/**", subs), std::nullopt);
}

constexpr char kInputs[] =
    "version: 1\n"
    "global_inputs: [common/**, gone.env]\n"
    "targets:\n"
    "  app:\n"
    "    command: make\n"
    "    inputs: [src/**, \"!src/tests/**\", srcs/**, sub/**]\n";

TEST(DescriptionWarningsTest, UnmatchedInputDiagnostics_AtEachPatternMatchingNothing) {
  const Description desc = LoadOk(kInputs);
  auto matches = [](const std::string& p) { return p == "src/**" || p == "common/**"; };
  const std::vector<Diagnostic> w = UnmatchedInputDiagnostics(desc, "fanout.yaml", matches, false);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].severity, Severity::kWarning);
  EXPECT_EQ(w[0].message, "input pattern 'srcs/**' of target 'app' matches no file");
  EXPECT_EQ(w[0].mark.line, 6);
  EXPECT_EQ(w[0].mark.column, 39);
  EXPECT_EQ(w[1].message, "input pattern 'sub/**' of target 'app' matches no file");
  EXPECT_EQ(w[2].message, "input pattern 'gone.env' of 'global_inputs' matches no file");
  EXPECT_EQ(w[2].mark.line, 2);
  EXPECT_EQ(w[2].mark.column, 28);
  // --strict: the same, as errors; every pattern matching: nothing.
  EXPECT_EQ(UnmatchedInputDiagnostics(desc, "fanout.yaml", matches, true)[0].severity,
            Severity::kError);
  EXPECT_TRUE(UnmatchedInputDiagnostics(
                  desc, "fanout.yaml", [](const std::string&) { return true; }, true)
                  .empty());
}

TEST(DescriptionWarningsTest, SubmoduleInputErrors_AtThePattern) {
  const Description desc = LoadOk(kInputs);
  const std::vector<Diagnostic> e = SubmoduleInputErrors(desc, "fanout.yaml", {"sub"});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].severity, Severity::kError);
  EXPECT_EQ(e[0].mark.line, 6);
  EXPECT_EQ(e[0].mark.column, 48);
  EXPECT_EQ(e[0].message,
            "input pattern 'sub/**' of target 'app' reaches into the submodule 'sub', whose files "
            "fanout does not check out");
  // Control: without that submodule, nothing.
  EXPECT_TRUE(SubmoduleInputErrors(desc, "fanout.yaml", {"other"}).empty());
}

}  // namespace
}  // namespace fanout
