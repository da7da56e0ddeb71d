// End-to-end: `fanout audit TARGET` runs the target traced by the real strace and reports the
// declared inputs its command never read and the repository files it looked for outside its
// inputs, in each sandbox tier, as root and as an unprivileged user. The positive control: a
// target whose inputs are exactly what it reads gets a clean report and exit 0, and the same
// command with a file left out gets that file reported and exit 1.
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using Names = std::set<std::string>;

constexpr uid_t kNobody = 65534;

// The parameter is "TIER" or "TIER_unprivileged".
class AuditE2E : public ::testing::TestWithParam<const char*> {
 protected:
  std::string Tier() const {
    const std::string p = GetParam();
    return p.substr(0, p.find('_'));
  }
  bool Unprivileged() const {
    return std::string(GetParam()).find("_unprivileged") != std::string::npos;
  }

  void SetUp() override {
    if (access("/usr/bin/strace", X_OK) != 0) {
      GTEST_SKIP() << "strace is not installed; scripts/setup installs it";
    }
    if (Unprivileged() && (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0)) {
      GTEST_SKIP() << "needs root and setpriv to run fanout as an unprivileged user";
    }
    if (Tier() == "namespaces") {
      // A machine without the tier (a chroot, a locked-down CI runner, user namespaces closed
      // to unprivileged users) says so and skips.
      std::vector<std::string> argv;
      if (Unprivileged()) {
        argv = {"setpriv", "--reuid=" + std::to_string(kNobody),
                "--regid=" + std::to_string(kNobody), "--clear-groups"};
      }
      argv.insert(argv.end(), {FanoutBinary(), "doctor", "--require-sandbox"});
      RunResult doctor = fanout::testing::Run(argv, "/", {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
      if (doctor.exit_code != 0) {
        GTEST_SKIP() << "the namespaces tier is not available here: " << doctor.out << doctor.err;
      }
    }
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n"
                "  exact:\n    command: cat a.txt lib/used.txt >/dev/null\n"
                "    inputs: [a.txt, lib/used.txt]\n"
                "  loose:\n"
                "    command: cat a.txt >/dev/null; cat lib/used.txt || true; ls docs >/dev/null\n"
                "    inputs: [a.txt, b.txt, docs]\n");
    repo_.Write("a.txt", "a\n");
    repo_.Write("b.txt", "b\n");
    repo_.Write("lib/used.txt", "used\n");
    repo_.Write("docs/guide.md", "guide\n");
    repo_.Commit("targets");
    if (Unprivileged()) {
      // The user's own checkout and home (libgit2 refuses a repository of another user).
      Sh("chown -R " + std::to_string(kNobody) + ":" + std::to_string(kNobody) + " '" +
         repo_.path() + "' '" + home_.path() + "'");
    }
  }

  RunResult Audit(const std::string& target) {
    std::vector<std::string> argv;
    if (Unprivileged()) {
      argv = {"setpriv", "--reuid=" + std::to_string(kNobody), "--regid=" + std::to_string(kNobody),
              "--clear-groups"};
    }
    argv.insert(argv.end(), {FanoutBinary(), "audit", target, "--format", "json"});
    return fanout::testing::Run(
        argv, repo_.path(),
        {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + home_.path(), "FANOUT_SANDBOX=" + Tier()});
  }

  static Names Strings(const nlohmann::json& list) {
    Names out;
    for (const nlohmann::json& s : list)
      out.insert(s.is_string() ? s.get<std::string>() : s["path"].get<std::string>());
    return out;
  }

  GitRepo repo_;
  TempDir home_;
};

TEST_P(AuditE2E, AnExactListIsCleanAndALooseOneIsReportedBothWays) {
  RunResult exact = Audit("exact");
  ASSERT_EQ(exact.exit_code, 0) << exact.out << exact.err;
  const nlohmann::json clean = nlohmann::json::parse(exact.out);
  EXPECT_EQ(Strings(clean["read"]), (Names{"a.txt", "lib/used.txt"}));
  EXPECT_TRUE(clean["unread"].empty()) << exact.out;
  EXPECT_TRUE(clean["missing"].empty()) << exact.out;

  RunResult loose = Audit("loose");
  ASSERT_EQ(loose.exit_code, 1) << loose.out << loose.err;
  const nlohmann::json report = nlohmann::json::parse(loose.out);
  EXPECT_EQ(report["exit_code"], 0);  // the command itself succeeded (`|| true`)
  EXPECT_EQ(Strings(report["read"]), Names{"a.txt"});
  // b.txt is never opened; docs/ is only listed.
  EXPECT_EQ(Strings(report["unread"]), (Names{"b.txt", "docs/guide.md"}));
  EXPECT_EQ(Strings(report["missing"]), Names{"lib/used.txt"});
}

TEST_P(AuditE2E, AnUnknownTargetIsAUsageError) {
  RunResult r = Audit("nope");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no target 'nope'"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Tiers, AuditE2E,
                         ::testing::Values("namespaces", "process", "namespaces_unprivileged",
                                           "process_unprivileged"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace fanout::testing
