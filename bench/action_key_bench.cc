// The cost of the action cache's keys (docs/cache.md) against the snapshot step, in one run
// (scripts/bench-cache). A generated repository of 10,000 targets, half of them depending on
// another (whose result.json the bench writes); compared:
//   - the snapshot step on its own with every input resolved and digested (as when the source
//     moved to a commit that changes no input): what every build already pays;
//   - computing all 10,000 action keys as `fanout exec` does for its one target: the stamp,
//     the pass_env values, each dependency's result.json, the digest.
// Medians of interleaved rounds.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/sha256.h"
#include "git/git.h"
#include "plan/plan.h"
#include "records/target_record.h"
#include "sandbox/action_key.h"
#include "sandbox/environment.h"
#include "sandbox/fs_util.h"
#include "snapshot/run_snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;

void Must(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) {
    fmt::print(stderr, "failed: {}\n", cmd);
    std::exit(1);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string fanout = "fanout";
  int n = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--fanout") fanout = argv[i + 1];
    if (std::string(argv[i]) == "--targets") n = std::atoi(argv[i + 1]);
  }
  char tmpl[] = "/tmp/fanout-bench-keys.XXXXXX";
  const std::string tmp = mkdtemp(tmpl);
  const std::string repo = tmp + "/repo", build = repo + "/build";
  Must("mkdir -p " + repo + " && cd " + repo + " && git init -q -b main");
  std::string yaml = "version: 1\ntargets:\n";
  for (int i = 0; i < n; ++i) {
    const std::string name = fmt::format("t{:05d}", i);
    (void)fanout::WriteFileAtomically(fmt::format("{}/pkg/{}/f.txt", repo, name).c_str(),
                                      name + "\n");
    yaml += fmt::format("  {}:\n    command: true\n    inputs: [pkg/{}/**]\n    pass_env: [HOME]\n",
                        name, name);
    if (i % 2 == 1) yaml += fmt::format("    deps: [t{:05d}]\n", i - 1);
  }
  (void)fanout::WriteFileAtomically(repo + "/fanout.yaml", yaml);
  Must("cd " + repo + " && git add -A && git -c user.name=b -c user.email=b@e commit -qm init");
  Must(fmt::format("cd {} && {} gen -B build --source HEAD >/dev/null", repo, fanout));

  fanout::EnsureLibgit2();
  auto plan = fanout::ReadPlan(build);
  if (!plan.ok()) {
    fmt::print(stderr, "{}\n", plan.error().message);
    return 1;
  }
  // The dependencies' results, as a build leaves them.
  for (const fanout::PlanTarget& t : plan->targets) {
    fanout::records::SuccessRecord r;
    r.target = t.def.name;
    r.artifacts = {{"out.txt", 4, fanout::Sha256Hex(t.def.name)}};
    (void)fanout::sandbox::MakeDirs(build + "/" + fanout::layout::TargetDir(t.def.name));
    (void)fanout::records::WriteSuccess(build + "/" + fanout::layout::ResultPath(t.def.name), r);
  }
  const std::string index = build + "/.fanout/stamps.index";
  auto new_tree = [&] {
    // As after a commit that changes no input: every input is resolved and digested again.
    auto text = fanout::ReadFile(index);
    std::string s = *text;
    const size_t nl = s.find('\n');
    std::string first = s.substr(0, nl);
    first = "#tree " + std::string(40, '0') + " " + first.substr(first.rfind(' ') + 1);
    (void)fanout::WriteFileAtomically(index, first + s.substr(nl));
  };
  const auto host = fanout::sandbox::HostEnvironment();
  std::vector<double> snapshot, keys;
  std::string last_key;
  for (int round = 0; round < 5; ++round) {
    new_tree();
    auto t0 = Clock::now();
    if (fanout::Status st = fanout::RunSnapshot(build); !st.ok()) {
      fmt::print(stderr, "{}\n", st.error().message);
      return 1;
    }
    snapshot.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    t0 = Clock::now();
    for (const fanout::PlanTarget& t : plan->targets) {
      auto stamp = fanout::ReadFile(build + "/" + fanout::layout::StampPath(t.def.name));
      auto a = fanout::sandbox::ComputeAction(build, t, stamp.ok() ? *stamp : "", host);
      if (!a.ok()) {
        fmt::print(stderr, "{}\n", a.error().message);
        return 1;
      }
      last_key = a->key;
    }
    keys.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const double s = Median(snapshot), k = Median(keys);
  fmt::print("\n## action keys of {} targets (half with a dependency) against the snapshot step\n",
             n);
  fmt::print("  {:<58} {:9.1f} ms\n", "snapshot step, every input resolved and digested", s * 1e3);
  fmt::print("  {:<58} {:9.1f} ms\n", fmt::format("all {} action keys", n), k * 1e3);
  fmt::print("  {:<58} {:9.1f} us\n", "one action key (what one fanout exec adds)", k / n * 1e6);
  fmt::print("  {:<58} {:9.2f}x\n", "all keys / snapshot step", k / s);
  Must("rm -rf " + tmp);
  return 0;
}
