// The sandbox probe cache is fanout state, so nothing from the checkout may stand in for it: a
// committed build/.fanout/sandbox-probe.json (its stamp can be read from inside the sandbox)
// must not move a fresh clone to the process tier.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "exec_fixture.h"
#include "sandbox/cgroup.h"
#include "sandbox/probe.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

// The probe as this machine sees it, claiming that namespaces do not work.
std::string DoctoredProbeJson() {
  TempDir scratch;
  sandbox::ProbeResult p = sandbox::RunProbe(scratch / "p");
  p.namespaces = false;
  p.namespaces_unavailable = "planted-by-the-checkout";
  return sandbox::ProbeToJson(p);
}

TEST(ProbeCacheE2E, PlantedCacheInTheBuildDirectoryDoesNotChangeTheTier) {
  std::string why;
  if (!NamespacesAvailable(&why)) GTEST_SKIP() << "namespaces tier cannot run here: " << why;
  ExecFixture fx(/*build_in_repo=*/true);
  fx.AddTarget("t", "true");
  fx.Write();
  TempDir runtime;  // this run's $XDG_RUNTIME_DIR: the real cache goes there
  ASSERT_EQ(chmod(runtime.path().c_str(), 0700), 0);
  const std::vector<std::string> env = {"XDG_RUNTIME_DIR=" + runtime.path()};

  // What a checkout could commit: the old cache with a stamp read from inside the sandbox
  // (boot id, euid, cgroups), saying namespaces do not work.
  std::string boot_id = ReadFile("/proc/sys/kernel/random/boot_id");
  while (!boot_id.empty() && boot_id.back() == '\n') boot_id.pop_back();
  const std::string stamp =
      boot_id + " " + std::to_string(geteuid()) + " " + sandbox::CgroupIdentity();
  const std::string doctored = DoctoredProbeJson();
  WriteFile(fx.Build(".fanout/sandbox-probe.json"), stamp + "\n" + doctored);

  RunResult r = fx.Exec("t", env);
  ASSERT_EQ(r.exit_code, 0) << r.err << ReadFile(fx.Build("targets/t/log.txt"));
  json res = json::parse(ReadFile(fx.Build("targets/t/result.json")));
  EXPECT_EQ(res["sandbox"]["tier"], "namespaces") << r.err;
  EXPECT_EQ(ReadFile(fx.Build("targets/t/log.txt")).find("planted-by-the-checkout"),
            std::string::npos);

  // Positive control: the same claim in the trusted cache (this user's, written by that run,
  // its own stamp kept) does move the target to the process tier, so the planted file above
  // was ignored, not harmless.
  const std::string cache = runtime / "fanout/sandbox-probe.json";
  const std::string real = ReadFile(cache);
  ASSERT_NE(real.find('\n'), std::string::npos) << "no cache written at " << cache;
  WriteFile(cache, real.substr(0, real.find('\n') + 1) + doctored);
  ASSERT_EQ(chmod(cache.c_str(), 0600), 0);
  r = fx.Exec("t", env);
  const std::string said = r.err + ReadFile(fx.Build("targets/t/log.txt"));
  EXPECT_NE(said.find("running 't' in the process sandbox tier (no namespaces): "
                      "planted-by-the-checkout"),
            std::string::npos)
      << said;
}

}  // namespace
}  // namespace fanout::testing
