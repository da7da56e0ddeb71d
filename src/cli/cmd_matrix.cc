// `fanout matrix`: split the plan into shards for a CI matrix (docs/cli.md), and
// with --merge, merge the shards' manifests into one (manifest_merge.h).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "cli/cli.h"
#include "plan/balance.h"
#include "plan/plan.h"
#include "plan/shards.h"
#include "report/duration_history.h"
#include "report/manifest_merge.h"

namespace fanout {

namespace {

struct MatrixOptions {
  CommonOptions common;
  int shards = 0;
  CLI::Option* shards_option = nullptr;
  std::string format = "json";
  std::vector<std::string> history;
  double job_overhead = 30;
  int max_tiers = 2;
  std::vector<std::string> merge;
  std::string output;
};

int Fail(const std::string& message, int exit_code = kExitUsage) {
  fmt::print(stderr, "fanout matrix: error: {}\n", message);
  return exit_code;
}

int RunMerge(const MatrixOptions& opts) {
  if (opts.output.empty()) return Fail("--merge needs -o OUT.json, the merged manifest to write");
  Status st = MergeManifestFiles(opts.merge, opts.output);
  if (!st.ok()) return Fail(st.error().message, st.error().exit_code);
  return kExitSuccess;
}

int RunMatrix(const MatrixOptions& opts) {
  // --merge reads manifests, not the build directory: --repo need only be a repository.
  const std::string plan_dir = opts.merge.empty() ? opts.common.build_dir : "";
  if (int rc = CheckRepoOption("matrix", opts.common.repo, plan_dir); rc != kExitSuccess) {
    return rc;
  }
  if (!opts.merge.empty()) return RunMerge(opts);
  if (!opts.output.empty()) return Fail("-o is for --merge; the shards go to stdout");
  if (opts.shards_option->count() == 0) return Fail("--shards N is required (or --merge)");
  if (opts.shards < 1) return Fail(fmt::format("--shards must be at least 1, not {}", opts.shards));
  const std::string& dir = opts.common.build_dir;
  if (!boost::filesystem::exists(dir + "/" + layout::kPlan)) {
    return Fail(fmt::format("no plan in '{}' ({} is missing); run 'fanout gen -B {}' first", dir,
                            layout::kPlan, dir));
  }
  auto plan = ReadPlan(dir);
  if (!plan.ok()) return Fail(plan.error().message, plan.error().exit_code);
  if (opts.max_tiers < 1) {
    return Fail(fmt::format("--max-tiers must be at least 1, not {}", opts.max_tiers));
  }
  if (!(opts.job_overhead >= 0)) {
    return Fail(fmt::format("--job-overhead must be 0 or more seconds, not {}", opts.job_overhead));
  }
  DurationHistory history;
  if (!opts.history.empty()) {
    auto read = ReadDurationHistory(opts.history);
    if (!read.ok()) return Fail(read.error().message, read.error().exit_code);
    history = std::move(*read);
  }
  std::vector<std::string> names;
  for (const PlanTarget& t : plan->targets) names.push_back(t.def.name);
  std::vector<std::string> estimated;
  const std::map<std::string, double> seconds = ExpectedDurations(names, history, &estimated);
  BalanceOptions balance;
  balance.max_shards = opts.shards;
  balance.max_tiers = opts.max_tiers;
  balance.job_overhead_seconds = opts.job_overhead;
  const ShardPlan shards = BalanceShards(*plan, seconds, balance);
  if (opts.format == "github") {
    Status st = WriteGithubOutput(ShardPlanToGithub(shards, opts.max_tiers));
    if (!st.ok()) return Fail(st.error().message, st.error().exit_code);
    // The reason goes where a person reads the step's log, not into the step's outputs.
    fmt::print(stderr, "fanout matrix: {}\n", shards.reason);
  } else {
    fmt::print("{}", ShardPlanToJson(shards, seconds, estimated, opts.job_overhead));
  }
  return kExitSuccess;
}

}  // namespace

CommandFn SetupMatrix(CLI::App* app) {
  auto opts = std::make_shared<MatrixOptions>();
  app->footer(
      "Reads the plan of a build directory that 'fanout gen' wrote and splits its targets into "
      "at most N shards per tier, balanced by each target's expected duration (the median of "
      "its earlier runs in --history; others get the median). One tier keeps dependency "
      "components whole, so each shard builds on its own machine with 'fanout build -B DIR "
      "TARGET...'; with tiers, each tier is a CI matrix run after the one before, and a shard "
      "takes what earlier tiers built with 'fanout build --from DIR TARGET...'. The layout with "
      "the smaller expected makespan, counting --job-overhead per job, wins.\n"
      "With --merge M1.json M2.json... -o OUT.json it merges the shards' manifests (each from "
      "'fanout build -B DIR TARGET...') into one: targets sorted by name, a "
      "target in two manifests is an error, status failed if any built target failed. See "
      "docs/sharding.md.");
  AddBuildDirOption(app, &opts->common);
  AddRepoOption(app, &opts->common.repo, kBuildDirRepoHelp);
  opts->shards_option =
      app->add_option("--shards", opts->shards, "split into at most N shards (N >= 1)");
  app->add_option("--history", opts->history,
                  "earlier run times: manifest.json files, .ninja_log files, or directories "
                  "searched for them (repeatable)");
  app->add_option("--job-overhead", opts->job_overhead,
                  "seconds one more CI job costs (a runner, a checkout), when choosing tiers")
      ->capture_default_str();
  app->add_option("--max-tiers", opts->max_tiers,
                  "at most this many tiers; 1 keeps whole components in one tier")
      ->capture_default_str();
  app->add_option("--format", opts->format,
                  "json, or github (step outputs 'matrix' and 'shards' for tier 1, 'tiers', "
                  "'matrix_T' and 'shards_T' for each tier T, 'expected_seconds')")
      ->check(CLI::IsMember({"json", "github"}))
      ->capture_default_str();
  auto* merge = app->add_option("--merge", opts->merge,
                                "merge these shard manifests into one (needs -o) instead");
  merge->excludes(opts->shards_option);
  app->add_option("-o,--output", opts->output, "with --merge: the merged manifest to write");
  return [opts] { return RunMatrix(*opts); };
}

}  // namespace fanout
