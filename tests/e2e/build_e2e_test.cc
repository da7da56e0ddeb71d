// End-to-end: a real git repository, the real fanout binary, the real ninja.
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

/// Each target records when its command started and ended, then sleeps to overlap others.
std::string TimedCommand(const std::string& name) {
  return "date +%s.%N > \"$FANOUT_OUT/interval.txt\"; sleep 0.6; echo " + name +
         " >> \"$FANOUT_OUT/interval.txt\"; date +%s.%N >> \"$FANOUT_OUT/interval.txt\"";
}

class BuildE2E : public ::testing::Test {
 protected:
  void WriteDescription(const std::string& extra_command_for_a1 = "") {
    std::string yaml = "version: 1\npools:\n  wide: 2\n  narrow: 1\ntargets:\n";
    for (const char* t : {"a1", "a2", "a3", "a4"}) {
      std::string cmd = TimedCommand(t);
      if (std::string(t) == "a1" && !extra_command_for_a1.empty())
        cmd += "; " + extra_command_for_a1;
      yaml += std::string("  ") + t + ":\n    command: '" + cmd + "'\n    inputs: [src/" + t +
              "/**]\n    pool: wide\n    artifacts: [interval.txt]\n";
    }
    for (const char* t : {"b1", "b2"}) {
      yaml += std::string("  ") + t + ":\n    command: '" + TimedCommand(t) +
              "'\n    inputs: [src/" + t +
              "/**]\n    pool: narrow\n    artifacts: [interval.txt]\n";
    }
    repo_.Write("fanout.yaml", yaml);
  }

  void SetUp() override {
    for (const char* t : {"a1", "a2", "a3", "a4", "b1", "b2"}) {
      repo_.Write(std::string("src/") + t + "/main.txt", std::string("source of ") + t + "\n");
    }
    WriteDescription();
    repo_.Commit("initial");
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path());
  }
  RunResult Ninja(const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv = {"ninja", "-C", repo_ / "fanout-out"};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path());
  }
  double StartedAt(const std::string& t) {
    json r = json::parse(ReadFile(repo_ / ("fanout-out/targets/" + t + "/result.json")));
    return r["started_at"].get<double>();
  }
  /// When each target last started.
  std::map<std::string, double> StartTimes() {
    std::map<std::string, double> times;
    for (const char* t : {"a1", "a2", "a3", "a4", "b1", "b2"}) times[t] = StartedAt(t);
    return times;
  }
  /// Checks that `rerun`, and no other target, started again since `before`.
  void ExpectOnlyRerun(const std::string& rerun, const std::map<std::string, double>& before) {
    for (const auto& [t, started] : before) {
      if (t == rerun) {
        EXPECT_GT(StartedAt(t), started) << t << " was edited and must rerun";
      } else {
        EXPECT_EQ(StartedAt(t), started) << t << " was not edited and must not rerun";
      }
    }
  }
  /// Builds with `build_args`, edits a1's command, and runs plain ninja: it regenerates and
  /// reruns a1 only, and the next ninja has nothing to do.
  void ExpectEditedCommandRerunsOnlyThatTarget(const std::vector<std::string>& build_args) {
    std::vector<std::string> args = {"build", "-j", "8"};
    args.insert(args.end(), build_args.begin(), build_args.end());
    ASSERT_EQ(Fanout(args).exit_code, 0);
    const std::map<std::string, double> before = StartTimes();
    WriteDescription("echo edited");
    RunResult r = Ninja({"-j", "8"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("Regenerating build.ninja"), std::string::npos) << r.out;
    ExpectOnlyRerun("a1", before);
    EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
  }

  GitRepo repo_;
};

struct Interval {
  double start, end;
};

/// The largest number of intervals open at one instant.
int MaxOverlap(std::vector<Interval> v) {
  std::vector<std::pair<double, int>> events;
  for (const Interval& i : v) {
    events.push_back({i.start, +1});
    events.push_back({i.end, -1});
  }
  std::sort(events.begin(), events.end());  // an end sorts before a start at the same time
  int open = 0, best = 0;
  for (auto& [t, d] : events) best = std::max(best, open += d);
  return best;
}

TEST_F(BuildE2E, Build_PoolsCapConcurrencyAndManifestHasArtifacts) {
  RunResult r = Fanout({"build", "-j", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  std::map<std::string, std::vector<Interval>> by_pool;
  for (const char* t : {"a1", "a2", "a3", "a4", "b1", "b2"}) {
    std::istringstream in(
        ReadFile(repo_ / ("fanout-out/targets/" + std::string(t) + "/out/interval.txt")));
    Interval iv{};
    std::string name;
    in >> iv.start >> name >> iv.end;
    ASSERT_EQ(name, t);
    ASSERT_LT(iv.start, iv.end);
    by_pool[t[0] == 'a' ? "wide" : "narrow"].push_back(iv);
  }
  EXPECT_EQ(MaxOverlap(by_pool["wide"]), 2) << "the depth-2 pool must be used fully, never more";
  EXPECT_EQ(MaxOverlap(by_pool["narrow"]), 1);

  json manifest = json::parse(ReadFile(repo_ / "fanout-out/manifest.json"));
  ASSERT_EQ(manifest["targets"].size(), 6u);
  for (const json& t : manifest["targets"]) {
    ASSERT_EQ(t["status"], "succeeded") << t.dump();
    ASSERT_EQ(t["artifacts"].size(), 1u);
    const json& a = t["artifacts"][0];
    std::string gathered = repo_ / ("fanout-out/" + a["gathered"].get<std::string>());
    RunResult sha = fanout::testing::Run({"sha256sum", gathered});
    ASSERT_EQ(sha.exit_code, 0);
    EXPECT_EQ(sha.out.substr(0, 64), a["sha256"].get<std::string>()) << gathered;
  }

  RunResult again = Ninja();
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("no work to do"), std::string::npos) << again.out;
}

TEST_F(BuildE2E, Regenerate_EditedCommandRerunsOnlyThatTarget) {
  ExpectEditedCommandRerunsOnlyThatTarget({});
}

TEST_F(BuildE2E, RevisionSource_EditedCommandRerunsOnlyThatTarget) {
  // gen --source REV writes the input stamps itself; a regeneration by ninja must still rerun
  // exactly the edited target, and leave nothing for the next ninja to do.
  ExpectEditedCommandRerunsOnlyThatTarget({"--source", "HEAD"});
}

TEST_F(BuildE2E, RevisionSource_CommittedEditRerunsOnlyItsTarget) {
  ASSERT_EQ(Fanout({"build", "-j", "8", "--source", "HEAD"}).exit_code, 0);
  std::map<std::string, double> before = StartTimes();
  // Seen by the snapshot edge (the branch moved) ...
  repo_.Write("src/a2/main.txt", "edited a2\n");
  repo_.Commit("edit a2");
  RunResult r = Ninja({"-j", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GT(StartedAt("a2"), before["a2"]);
  before["a2"] = StartedAt("a2");
  // ... and by gen run by hand, which writes the changed stamp itself.
  repo_.Write("src/b1/main.txt", "edited b1\n");
  repo_.Commit("edit b1");
  ASSERT_EQ(Fanout({"gen", "--source", "HEAD"}).exit_code, 0);
  r = Ninja({"-j", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectOnlyRerun("b1", before);
  EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
}

TEST_F(BuildE2E, RevisionSource_ANestedBranchOrRemoteTrackingRefMovingIsSeen) {
  // Neither ref is HEAD's branch, and moving them (as a fetch does) touches neither HEAD, the
  // index, nor refs/heads or refs/tags themselves: the snapshot edge must watch their files.
  repo_.Git({"update-ref", "refs/heads/team/x", "HEAD"});
  repo_.Git({"update-ref", "refs/remotes/origin/main", "HEAD"});
  GitRepo upstream;
  upstream.Git({"fetch", "-q", repo_.path(), "main"});
  upstream.Git({"reset", "-q", "--hard", "FETCH_HEAD"});
  const std::map<std::string, std::string> build_of = {{"team/x", "build-x"},
                                                       {"origin/main", "build-origin"}};
  std::map<std::string, std::map<std::string, double>> before;
  for (const auto& [ref, dir] : build_of) {
    ASSERT_EQ(Fanout({"build", "-B", dir, "-j", "8", "--source", ref}).exit_code, 0) << ref;
    for (const char* t : {"a1", "a2", "b1"}) {
      before[ref][t] =
          json::parse(ReadFile(repo_ / (dir + "/targets/" + t + "/result.json")))["started_at"]
              .get<double>();
    }
  }
  upstream.Write("src/a2/main.txt", "edited upstream\n");
  upstream.Commit("edit a2");
  repo_.Git({"fetch", "-q", upstream.path(), "main:refs/heads/team/x"});
  repo_.Git({"fetch", "-q", upstream.path(), "main:refs/remotes/origin/main"});
  for (const auto& [ref, dir] : build_of) {
    RunResult r = fanout::testing::Run({"ninja", "-C", repo_ / dir, "-j", "8"}, repo_.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const char* t : {"a1", "a2", "b1"}) {
      const double started =
          json::parse(ReadFile(repo_ / (dir + "/targets/" + t + "/result.json")))["started_at"]
              .get<double>();
      if (std::string(t) == "a2") {
        EXPECT_GT(started, before[ref][t]) << ref << ": a2's input moved with the ref";
      } else {
        EXPECT_EQ(started, before[ref][t]) << ref << ": " << t << " must not rerun";
      }
    }
  }
}

TEST_F(BuildE2E, Regenerate_CommentEditRerunsNothing) {
  ASSERT_EQ(Fanout({"build", "-j", "8"}).exit_code, 0);
  double a1 = StartedAt("a1");
  repo_.Write("fanout.yaml", "# a comment\n" + ReadFile(repo_ / "fanout.yaml"));
  RunResult r = Ninja({"-j", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(StartedAt("a1"), a1);
  EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
}

TEST_F(BuildE2E, GenByHand_NextNinjaDoesNotRegenerate) {
  // ninja#1376: a generator run by hand leaves .ninja_log with the old time of its output.
  ASSERT_EQ(Fanout({"build", "-j", "8"}).exit_code, 0);
  // Ninja's own regeneration gives the log an entry for the regeneration stamp.
  repo_.Write("fanout.yaml", "# regenerated by ninja\n" + ReadFile(repo_ / "fanout.yaml"));
  RunResult r = Ninja();
  ASSERT_NE(r.out.find("Regenerating build.ninja"), std::string::npos) << r.out;
  const double a1 = StartedAt("a1");
  repo_.Write("fanout.yaml",
              "# edited, then generated by hand\n" + ReadFile(repo_ / "fanout.yaml"));
  ASSERT_EQ(Fanout({"gen"}).exit_code, 0);
  r = Ninja();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("Regenerating build.ninja"), std::string::npos) << r.out;
  EXPECT_EQ(StartedAt("a1"), a1);
  EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
  // Again with nothing edited since: the log is already current.
  ASSERT_EQ(Fanout({"gen"}).exit_code, 0);
  r = Ninja();
  EXPECT_NE(r.out.find("no work to do"), std::string::npos) << r.out;
  // An edit after a by-hand run is still seen.
  repo_.Write("fanout.yaml", "# edited again\n" + ReadFile(repo_ / "fanout.yaml"));
  r = Ninja();
  EXPECT_NE(r.out.find("Regenerating build.ninja"), std::string::npos) << r.out;
}

TEST_F(BuildE2E, Incremental_BuildDirThroughASymlinkStillSeesEdits) {
  // A build directory that is a symlink out of the work tree: the snapshot's depfile must
  // still name the inputs Ninja stats from there.
  TempDir elsewhere;
  ASSERT_EQ(symlink(elsewhere.path().c_str(), (repo_ / "fanout-out").c_str()), 0);
  ASSERT_EQ(Fanout({"build", "-j", "8"}).exit_code, 0);
  const double a2 = StartedAt("a2"), a3 = StartedAt("a3");
  EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
  repo_.Write("src/a2/main.txt", "edited\n");
  ASSERT_EQ(Ninja({"-j", "8"}).exit_code, 0);
  EXPECT_GT(StartedAt("a2"), a2);
  EXPECT_EQ(StartedAt("a3"), a3);
  EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
}

TEST_F(BuildE2E, Incremental_InputEditsRerunOnlyAffectedTargets) {
  ASSERT_EQ(Fanout({"build", "-j", "8"}).exit_code, 0);
  std::map<std::string, double> t0;
  for (const char* t : {"a1", "a2", "a3", "a4", "b1", "b2"}) t0[t] = StartedAt(t);

  // An unstaged edit reruns a2 only.
  repo_.Write("src/a2/main.txt", "edited\n");
  ASSERT_EQ(Ninja({"-j", "8"}).exit_code, 0);
  EXPECT_GT(StartedAt("a2"), t0["a2"]);
  EXPECT_EQ(StartedAt("a3"), t0["a3"]);

  // An untracked new file reruns a3 only.
  double a2 = StartedAt("a2");
  repo_.Write("src/a3/new.txt", "new\n");
  ASSERT_EQ(Ninja({"-j", "8"}).exit_code, 0);
  EXPECT_GT(StartedAt("a3"), t0["a3"]);
  EXPECT_EQ(StartedAt("a2"), a2);

  // Committing the same content changes nothing the targets see.
  double a3 = StartedAt("a3");
  repo_.Commit("commit the edits");
  RunResult r = Ninja({"-j", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(StartedAt("a2"), a2);
  EXPECT_EQ(StartedAt("a3"), a3);

  // A removed file reruns its target.
  repo_.Git({"rm", "-q", "src/b1/main.txt"});
  ASSERT_EQ(Ninja({"-j", "8"}).exit_code, 0);
  EXPECT_GT(StartedAt("b1"), t0["b1"]);
  EXPECT_EQ(StartedAt("b2"), t0["b2"]);
  EXPECT_NE(Ninja().out.find("no work to do"), std::string::npos);
}

TEST_F(BuildE2E, Snapshot_ReusesADigestOnlyForTheSameTreeAndDefinition) {
  ASSERT_EQ(Fanout({"gen", "--source", "HEAD"}).exit_code, 0);
  const std::string build = repo_ / "fanout-out";
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  const std::string a2 = build + "/.fanout/stamps/a2.stamp";
  const std::string real = ReadFile(a2);
  // Plant another digest for a2 in the index (and drop the stamp, which the index says holds
  // it): a snapshot of the same tree, with a2's definition unchanged, takes the digest from
  // there instead of resolving a2's inputs again.
  const std::string index_path = build + "/.fanout/stamps.index";
  std::string index = ReadFile(index_path);
  const std::string planted(64, 'e');
  const std::size_t at = index.find("\na2 ");
  ASSERT_NE(at, std::string::npos) << index;
  index.replace(at + 4, 64, planted);
  WriteFile(index_path, index);
  ASSERT_EQ(std::remove(a2.c_str()), 0);
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), planted + "\n");
  // A new tree resolves every input again.
  repo_.Write("src/b1/main.txt", "edited\n");
  repo_.Commit("edit b1");
  ASSERT_EQ(Fanout({"gen", "--source", "HEAD"}).exit_code, 0);
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), real);
  // So does a changed definition on the same tree.
  index = ReadFile(index_path);
  index.replace(index.find("\na2 ") + 4, 64, planted);
  WriteFile(index_path, index);
  ASSERT_EQ(std::remove(a2.c_str()), 0);
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), planted + "\n");
  index = ReadFile(index_path);
  const std::size_t line = index.find("\na2 ") + 1;
  const std::size_t definition = index.find(' ', line + 3 + 64) + 1;
  index.replace(definition, 64, std::string(64, '0'));  // as if a2's definition had changed
  // A changed definition comes with another plan.json: an index made for this very plan is
  // taken whole (see Snapshot_TakesAnIndexMadeForThisPlanAndTreeAsItIs).
  const std::size_t plan_line = index.find("#plan ");
  ASSERT_NE(plan_line, std::string::npos) << index;
  index.replace(plan_line + 6, 64, std::string(64, '0'));
  WriteFile(index_path, index);
  ASSERT_EQ(std::remove(a2.c_str()), 0);
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), real);
}

TEST_F(BuildE2E, Gen_FromARevisionWritesTheStampsAFullSnapshotWrites) {
  ASSERT_EQ(Fanout({"gen", "--source", "HEAD"}).exit_code, 0);
  const std::string build = repo_ / "fanout-out";
  const std::string stamps = build + "/.fanout/stamps/";
  std::map<std::string, std::string> by_gen;
  for (const char* t : {"a1", "a2", "a3", "a4", "b1", "b2"}) {
    ASSERT_TRUE(std::filesystem::exists(stamps + t + ".stamp")) << t;
    by_gen[t] = ReadFile(stamps + t + ".stamp");
  }
  const json source = json::parse(ReadFile(build + "/.fanout/source.json"));
  EXPECT_EQ(source["source"], "HEAD");
  EXPECT_EQ(source["tree"].get<std::string>().size(), 40u);
  // A snapshot from nothing (no index, no stamps) resolves every input again: the same.
  std::filesystem::remove_all(stamps);
  std::filesystem::remove(build + "/.fanout/stamps.index");
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  for (const auto& [t, digest] : by_gen) EXPECT_EQ(ReadFile(stamps + t + ".stamp"), digest) << t;
  // A work tree source is left to the snapshot edge: gen writes no stamp.
  std::filesystem::remove_all(stamps);
  ASSERT_EQ(Fanout({"gen"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(stamps + "a1.stamp"));
}

TEST_F(BuildE2E, Snapshot_TakesAnIndexMadeForThisPlanAndTreeAsItIs) {
  ASSERT_EQ(Fanout({"gen", "--source", "HEAD"}).exit_code, 0);
  const std::string build = repo_ / "fanout-out";
  const std::string a2 = build + "/.fanout/stamps/a2.stamp";
  const std::string real = ReadFile(a2);
  const std::string index_path = build + "/.fanout/stamps.index";
  std::string index = ReadFile(index_path);
  // Plant a digest, and a definition nothing has, for a2: an index made for this plan.json and
  // this tree is taken whole, so the planted digest is written to the missing stamp.
  const std::size_t line = index.find("\na2 ") + 1;
  index.replace(line + 3, 64, std::string(64, 'e'));
  index.replace(line + 3 + 65, 64, std::string(64, '0'));
  WriteFile(index_path, index);
  ASSERT_EQ(std::remove(a2.c_str()), 0);
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), std::string(64, 'e') + "\n");
  // Another plan.json (one byte of it) is not that plan: every digest is checked again.
  std::string plan = ReadFile(build + "/.fanout/plan.json");
  WriteFile(build + "/.fanout/plan.json", plan + " ");
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), real);
  // As is another tree: the source moved since the index was made.
  WriteFile(build + "/.fanout/plan.json", plan);
  ASSERT_EQ(Fanout({"gen", "--source", "HEAD"}).exit_code, 0);
  index = ReadFile(index_path);
  index.replace(index.find("\na2 ") + 4, 64, std::string(64, 'e'));
  WriteFile(index_path, index);
  repo_.Write("src/b1/main.txt", "edited again\n");
  repo_.Commit("edit b1");
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), real);
}

TEST_F(BuildE2E, Snapshot_AnIndexOfAnotherPlanWhoseSourceIsGoneIsNotAnError) {
  // The index names the source of the plan it was made for; once the plan builds something
  // else, that source no longer resolving must not fail the snapshot.
  repo_.Git({"branch", "gone"});
  ASSERT_EQ(Fanout({"gen", "--source", "gone"}).exit_code, 0);
  ASSERT_EQ(Fanout({"gen"}).exit_code, 0);  // the work tree: gen leaves the index as it was
  repo_.Git({"branch", "-D", "gone"});
  RunResult r = Fanout({"snapshot", "-B", repo_ / "fanout-out"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(ReadFile(repo_ / "fanout-out/.fanout/source.json"))["source"], "worktree");
}

TEST(SnapshotE2E, InputsUnderADirectoryExcludeItsLookalikeSiblings) {
  // In path order "pkg/a-b" and "pkg/a.b" come before "pkg/a/", and "pkg/a0" after it; b's
  // inputs put all of them in the walk.
  GitRepo repo;
  repo.Write("fanout.yaml",
             "version: 1\ntargets:\n  a:\n    command: \"true\"\n"
             "    inputs: [pkg/a/**]\n"
             "  b:\n    command: \"true\"\n"
             "    inputs: [pkg/a-b/**, pkg/a.b/**, pkg/a0/**]\n");
  for (const char* f : {"pkg/a/x", "pkg/a-b/y", "pkg/a.b/z", "pkg/a0/w"}) repo.Write(f, "1\n");
  repo.Commit("initial");
  const std::string build = repo / "fanout-out";
  auto snapshot = [&] {
    EXPECT_EQ(
        fanout::testing::Run({FanoutBinary(), "gen", "--source", "HEAD"}, repo.path()).exit_code,
        0);
    EXPECT_EQ(
        fanout::testing::Run({FanoutBinary(), "snapshot", "-B", build}, repo.path()).exit_code, 0);
    return ReadFile(build + "/.fanout/stamps/a.stamp");
  };
  const std::string first = snapshot();
  for (const char* f : {"pkg/a-b/y", "pkg/a.b/z", "pkg/a0/w"}) {
    repo.Write(f, "2\n");
    repo.Commit(std::string("edit ") + f);
    EXPECT_EQ(snapshot(), first) << f << " is not an input of a";
  }
  repo.Write("pkg/a/x", "2\n");
  repo.Commit("edit pkg/a/x");
  EXPECT_NE(snapshot(), first);
}

TEST_F(BuildE2E, Snapshot_StampIndexSkipsUnchangedStampsButRecreatesMissingOnes) {
  ASSERT_EQ(Fanout({"gen"}).exit_code, 0);
  const std::string build = repo_ / "fanout-out";
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  const std::string a1 = build + "/.fanout/stamps/a1.stamp";
  const std::string a2 = build + "/.fanout/stamps/a2.stamp";
  const std::string want_a2 = ReadFile(a2);
  ASSERT_EQ(want_a2.size(), 65u);  // a SHA-256 digest and a newline
  const std::string index = ReadFile(build + "/.fanout/stamps.index");
  EXPECT_NE(index.find("\na2 " + want_a2.substr(0, 64) + " "), std::string::npos) << index;

  // A deleted stamp comes back although the index lists it; an edited input rewrites only its
  // own stamp.
  ASSERT_EQ(std::remove(a2.c_str()), 0);
  struct stat before {};
  ASSERT_EQ(stat(a1.c_str(), &before), 0);
  repo_.Write("src/a1/main.txt", "edited\n");
  const std::string old_a1 = ReadFile(a1);
  ASSERT_EQ(Fanout({"snapshot", "-B", build}).exit_code, 0);
  EXPECT_EQ(ReadFile(a2), want_a2);
  EXPECT_NE(ReadFile(a1), old_a1);
  EXPECT_NE(ReadFile(build + "/.fanout/stamps.index"), index);
}

TEST_F(BuildE2E, Exec_FailureLeavesNoResult) {
  repo_.Write(
      "fanout.yaml",
      "version: 1\ntargets:\n  bad:\n    command: echo boom; exit 3\n    inputs: [src/a1/**]\n");
  RunResult r = Fanout({"build"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_FALSE(Exists(repo_ / "fanout-out/targets/bad/result.json"));
  EXPECT_NE((r.out + r.err).find("boom"), std::string::npos) << "ninja shows the log tail";
}

}  // namespace
}  // namespace fanout::testing
