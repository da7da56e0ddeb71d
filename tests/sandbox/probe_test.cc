// The capability probe, the tier choice, and fanout doctor.
#include "sandbox/probe.h"
#include "src/report.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "sandbox/result.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::ChooseTier;
using sandbox::ProbeResult;
using sandbox::Tier;

TEST(Probe, RunsAndRoundTripsThroughJson) {
  TempDir scratch;
  ProbeResult p = sandbox::RunProbe(scratch / "p");
  EXPECT_FALSE(p.kernel.empty());
  EXPECT_FALSE(Exists(scratch / "p"));  // cleans up after itself
  EXPECT_EQ(p.namespaces, p.namespaces_unavailable.empty());
  if (!p.namespaces)
    std::printf("note: namespaces unavailable here: %s\n", p.namespaces_unavailable.c_str());
  auto back = sandbox::ProbeFromJson(sandbox::ProbeToJson(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(sandbox::ProbeToJson(*back), sandbox::ProbeToJson(p));
}

TEST(Probe, CachedProbeIsReusedOnTheSameBoot) {
  TempDir dir;
  ProbeResult first = sandbox::CachedProbe(dir / "probe.json", dir / "scratch");
  std::string text = ReadFile(dir / "probe.json");
  ASSERT_FALSE(text.empty());
  // A doctored cache entry proves the second call does not probe again.
  std::string doctored = text;
  doctored.replace(doctored.find("\"kernel\": \""), 11, "\"kernel\": \"cached-");
  WriteFile(dir / "probe.json", doctored);
  ProbeResult second = sandbox::CachedProbe(dir / "probe.json", dir / "scratch");
  EXPECT_EQ(second.kernel, "cached-" + first.kernel);
}

TEST(Probe, ChooseTier) {
  ProbeResult ns;
  ns.namespaces = true;
  ns.overlay = true;
  ProbeResult none;
  none.namespaces_unavailable = "creating user namespaces failed: Operation not permitted";

  auto c = ChooseTier(ns, "", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tier, Tier::kNamespaces);
  EXPECT_TRUE(c->overlay);
  EXPECT_TRUE(c->fallback_reason.empty());

  c = ChooseTier(ns, "process", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tier, Tier::kProcess);
  EXPECT_EQ(c->fallback_reason, "forced by FANOUT_SANDBOX=process");

  c = ChooseTier(none, "auto", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tier, Tier::kProcess);
  EXPECT_EQ(c->fallback_reason, none.namespaces_unavailable);

  c = ChooseTier(none, "", true);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("required"), std::string::npos);
  EXPECT_NE(c.error().message.find("Operation not permitted"), std::string::npos);
  EXPECT_FALSE(ChooseTier(none, "namespaces", false).ok());
  EXPECT_FALSE(ChooseTier(ns, "bogus", false).ok());
}

TEST(Doctor, PrintsTierAndJson) {
  TempDir dir;
  RunResult r = fanout::testing::Run({FanoutBinary(), "doctor", "-B", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tier"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("limits                 "), std::string::npos) << r.out;
  r = fanout::testing::Run({FanoutBinary(), "doctor", "-B", dir.path(), "--json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(sandbox::ProbeFromJson(r.out).ok()) << r.out;
  r = fanout::testing::Run({FanoutBinary(), "doctor", "-B", dir.path(), "--require-sandbox"}, "",
                           {"FANOUT_SANDBOX=process"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("required"), std::string::npos) << r.err;
}

TEST(Result, LogTailAndExitDescriptions) {
  TempDir dir;
  std::string text;
  for (int i = 1; i <= 100; ++i) text += "line " + std::to_string(i) + "\n";
  WriteFile(dir / "log.txt", text);
  std::string tail = ReadLogTail(dir / "log.txt", 40);
  EXPECT_EQ(tail.substr(0, 8), "line 61\n");
  EXPECT_EQ(tail.substr(tail.size() - 8), "line 100");
  WriteFile(dir / "short.txt", "only\n");
  EXPECT_EQ(ReadLogTail(dir / "short.txt", 40), "only");
  EXPECT_EQ(ReadLogTail(dir / "missing.txt", 40), "");
  EXPECT_EQ(sandbox::DescribeExit(2, 0), "exited with status 2");
  EXPECT_EQ(sandbox::DescribeExit(137, 9), "killed by signal 9 (SIGKILL)");
}

}  // namespace
}  // namespace fanout::testing
