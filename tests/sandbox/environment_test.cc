// The command's environment: scrubbed, plus pass_env and env; FANOUT_* cannot be overridden.
#include "sandbox/environment.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace fanout::testing {
namespace {

std::map<std::string, std::string> AsMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> m;
  for (const std::string& kv : env) m[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  return m;
}

TEST(Environment, HostSecretsAreScrubbed) {
  Target t;
  t.name = "runtime";
  std::map<std::string, std::string> host = {
      {"PATH", "/usr/bin"},        {"AWS_SECRET_ACCESS_KEY", "x"}, {"HOME", "/root"},
      {"SSH_AUTH_SOCK", "/tmp/s"}, {"LANG", "de_DE.UTF-8"},        {"FANOUT_SANDBOX", "process"}};
  auto env = AsMap(sandbox::BuildEnvironment(
      t, host, {"/ws/home", "/ws/tmp", "/b/out", "/ws/deps", "/ws/src", 1, "/ws"}));
  EXPECT_EQ(env.count("AWS_SECRET_ACCESS_KEY"), 0u);
  EXPECT_EQ(env.count("SSH_AUTH_SOCK"), 0u);
  EXPECT_EQ(env.count("FANOUT_SANDBOX"), 0u);
  EXPECT_EQ(env["PATH"], "/usr/bin");
  EXPECT_EQ(env["HOME"], "/ws/home");
  EXPECT_EQ(env["TMPDIR"], "/ws/tmp");
  EXPECT_EQ(env["LANG"], "de_DE.UTF-8");
  EXPECT_EQ(env["FANOUT_TARGET"], "runtime");
  EXPECT_EQ(env["FANOUT_OUT"], "/b/out");
  EXPECT_EQ(env["FANOUT_DEPS"], "/ws/deps");
  EXPECT_EQ(env["FANOUT_ATTEMPT"], "1");
  EXPECT_EQ(env["GIT_CEILING_DIRECTORIES"], "/ws");
  EXPECT_EQ(env.size(), 10u);
}

TEST(Environment, PassEnvAndEnvWithPrecedence) {
  Target t;
  t.name = "t";
  t.pass_env = {"DOCKER_HOST", "UNSET_VAR"};
  t.env = {{"PYTHONDONTWRITEBYTECODE", "1"},
           {"DOCKER_HOST", "override"},
           {"FANOUT_OUT", "/evil"},
           {"PATH", "/opt/bin"}};
  std::map<std::string, std::string> host = {{"DOCKER_HOST", "unix:///d.sock"}};
  auto env = AsMap(sandbox::BuildEnvironment(t, host, {"/h", "/t", "/o", "/d", "/s", 2, ""}));
  EXPECT_EQ(env["DOCKER_HOST"], "override");  // env beats pass_env
  EXPECT_EQ(env.count("UNSET_VAR"), 0u);
  EXPECT_EQ(env["PYTHONDONTWRITEBYTECODE"], "1");
  EXPECT_EQ(env["FANOUT_OUT"], "/o");  // fanout's own variables win
  EXPECT_EQ(env["PATH"], "/opt/bin");
  EXPECT_EQ(env["LANG"], "C.UTF-8");
  EXPECT_EQ(env["FANOUT_ATTEMPT"], "2");
}

TEST(Environment, DefaultPathWhenHostHasNone) {
  Target t;
  t.name = "t";
  auto env = AsMap(sandbox::BuildEnvironment(t, {}, {"/h", "/t", "/o", "/d", "/s", 1, ""}));
  EXPECT_EQ(env["PATH"], sandbox::kDefaultPath);
}

TEST(Environment, PassEnvAllowPatterns) {
  using sandbox::PassEnvAllowed;
  EXPECT_TRUE(PassEnvAllowed("GOFLAGS,NPM_*", "GOFLAGS"));
  EXPECT_TRUE(PassEnvAllowed("GOFLAGS,NPM_*", "NPM_TOKEN"));
  EXPECT_TRUE(PassEnvAllowed("GOFLAGS,NPM_*", "NPM_"));
  EXPECT_FALSE(PassEnvAllowed("GOFLAGS,NPM_*", "GOFLAGS2")) << "a name without * is exact";
  EXPECT_FALSE(PassEnvAllowed("GOFLAGS,NPM_*", "XNPM_TOKEN")) << "* is a prefix wildcard";
  EXPECT_FALSE(PassEnvAllowed("GOFLAGS,NPM_*", "NPM")) << "the prefix is NPM_, not NPM";
  EXPECT_FALSE(PassEnvAllowed("GOFLAGS,NPM_*", "goflags")) << "names are case-sensitive";
  EXPECT_TRUE(PassEnvAllowed(" GOFLAGS , NPM_* ", "NPM_TOKEN")) << "blanks around names";
  EXPECT_TRUE(PassEnvAllowed("*", "ANYTHING"));
  EXPECT_FALSE(PassEnvAllowed("", "GOFLAGS"));
  EXPECT_FALSE(PassEnvAllowed(",,", "GOFLAGS"));
}

TEST(Environment, PassEnvAllowListLimitsPassEnv) {
  Target t;
  t.name = "web";
  t.pass_env = {"GOFLAGS", "NPM_TOKEN", "AWS_SECRET_ACCESS_KEY", "UNSET_VAR"};
  std::map<std::string, std::string> host = {
      {"GOFLAGS", "-mod=vendor"}, {"NPM_TOKEN", "n"}, {"AWS_SECRET_ACCESS_KEY", "secret"}};
  const sandbox::EnvironmentPaths paths{"/h", "/t", "/o", "/d", "/s", 1, ""};

  // The control: without the allow-list every pass_env name the host has gets through.
  std::vector<std::string> warnings;
  auto open = AsMap(sandbox::BuildEnvironment(t, host, paths, &warnings));
  EXPECT_EQ(open["AWS_SECRET_ACCESS_KEY"], "secret");
  EXPECT_EQ(open["NPM_TOKEN"], "n");
  EXPECT_TRUE(warnings.empty());

  host["FANOUT_PASS_ENV_ALLOW"] = "GOFLAGS,NPM_*";
  auto limited = AsMap(sandbox::BuildEnvironment(t, host, paths, &warnings));
  EXPECT_EQ(limited["GOFLAGS"], "-mod=vendor");
  EXPECT_EQ(limited["NPM_TOKEN"], "n");
  EXPECT_EQ(limited.count("AWS_SECRET_ACCESS_KEY"), 0u);
  EXPECT_EQ(limited.count("FANOUT_PASS_ENV_ALLOW"), 0u);
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "fanout: warning: pass_env 'AWS_SECRET_ACCESS_KEY' of target 'web' is not allowed "
                "by FANOUT_PASS_ENV_ALLOW; not passed",
                "fanout: warning: pass_env 'UNSET_VAR' of target 'web' is not allowed by "
                "FANOUT_PASS_ENV_ALLOW; not passed"}));

  // Set but empty: no pass_env name gets through; the scrubbed defaults are unchanged.
  host["FANOUT_PASS_ENV_ALLOW"] = "";
  warnings.clear();
  auto closed = AsMap(sandbox::BuildEnvironment(t, host, paths, &warnings));
  EXPECT_EQ(closed.count("GOFLAGS"), 0u);
  EXPECT_EQ(closed.count("NPM_TOKEN"), 0u);
  EXPECT_EQ(closed.count("AWS_SECRET_ACCESS_KEY"), 0u);
  EXPECT_EQ(closed.size(), AsMap(sandbox::BuildEnvironment(Target{}, {}, paths)).size());
  EXPECT_EQ(warnings.size(), 4u);
}

TEST(Environment, PassEnvAllowListIsNeverPassed) {
  Target t;
  t.name = "t";
  t.pass_env = {"FANOUT_PASS_ENV_ALLOW", "GOFLAGS"};
  std::map<std::string, std::string> host = {{"FANOUT_PASS_ENV_ALLOW", "*"}, {"GOFLAGS", "-x"}};
  auto env = AsMap(sandbox::BuildEnvironment(t, host, {"/h", "/t", "/o", "/d", "/s", 1, ""}));
  EXPECT_EQ(env["GOFLAGS"], "-x") << "the control: '*' allows every name";
  EXPECT_EQ(env.count("FANOUT_PASS_ENV_ALLOW"), 0u);
}

}  // namespace
}  // namespace fanout::testing
