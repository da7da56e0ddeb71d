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

}  // namespace
}  // namespace fanout::testing
