#include "generator_fixtures.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

#include "base/build_layout.h"
#include "plan/plan.h"

namespace fanout::testing {

PlanTarget MakeTarget(const std::string& name, std::vector<std::string> deps, std::string pool,
                      std::map<std::string, std::string> env) {
  PlanTarget t;
  t.def.name = name;
  t.def.command = "./build.sh " + name + " \"$FANOUT_OUT/" + name + ".tar\"";
  t.def.inputs = {name + "/**"};
  t.def.deps = std::move(deps);
  t.def.pool = std::move(pool);
  t.def.env = std::move(env);
  t.definition_digest = std::string(64, 'a');
  return t;
}

namespace {

Plan BasePlan() {
  Plan p;
  p.repo_root = "/repo";
  p.description_path = "/repo/fanout.yaml";
  p.build_dir = "/repo/build";
  p.fanout_binary = "/usr/local/bin/fanout";
  p.gen_args = {"-f", "/repo/fanout.yaml", "-B", "/repo/build"};
  return p;
}

}  // namespace

Plan ThreeTargetPlan() {
  Plan p = BasePlan();
  p.pools = {{"docker", 2}, {"push", 1}};
  p.targets = {MakeTarget("base", {}, "docker"), MakeTarget("publish", {"runtime", "base"}, "push"),
               MakeTarget("runtime", {"base"}, "docker", {{"PYTHONDONTWRITEBYTECODE", "1"}})};
  p.targets[1].tier = 2;
  p.targets[2].tier = 1;
  return p;
}

Plan PostSubmitPlan() {
  Plan p = BasePlan();
  p.targets = {MakeTarget("app")};
  p.post_submit.command = "scripts/push.sh \"$FANOUT_ARTIFACTS\"";
  return p;
}

Plan SkippedPlan() {
  Plan p = BasePlan();
  p.base = "origin/main";
  p.pools = {{"docker", 2}};
  p.targets = {MakeTarget("runtime", {"base", "tools"}, "docker")};
  p.skipped = {"base", "tools"};
  return p;
}

Plan EscapingPlan() {
  Plan p = BasePlan();
  p.description_path = "/src/it's here/my fanout.yaml";
  p.fanout_binary = "/opt/my tools/fan$out";
  p.gen_args = {"-f", "/src/it's here/my fanout.yaml", "--source", "$REV"};
  PlanTarget t = MakeTarget("web.app-1_x");
  t.def.command = "echo $HOME ${USER} $$ | tr a-z A-Z";
  p.targets = {t};
  return p;
}

void WriteFakeFanout(const std::string& path) {
  WriteFile(path, R"SH(#!/bin/sh
for a in "$@"; do printf '[%s]' "$a"; done >> calls.log
echo >> calls.log
case "$1" in
  gen)
    mkdir -p .fanout
    touch .fanout/build.ninja.stamp Makefile ;;
  snapshot)
    mkdir -p .fanout/stamps
    touch .fanout/snapshot.stamp.pending
    deps=""
    while read -r t; do
      new=$(cat "src/$t")
      if [ ! -f ".fanout/stamps/$t.stamp" ] || [ "$(cat ".fanout/stamps/$t.stamp")" != "$new" ]; then
        printf '%s' "$new" > ".fanout/stamps/$t.stamp"
      fi
      deps="$deps src/$t"
    done < .fanout/targets.txt
    # As the real step, source.json is rewritten only when it changes: never, here.
    [ -f .fanout/source.json ] || echo '{}' > .fanout/source.json
    printf '.fanout/snapshot.stamp:%s\n' "$deps" > .fanout/snapshot.d
    mv .fanout/snapshot.stamp.pending .fanout/snapshot.stamp ;;
  exec)
    for t in "$@"; do :; done  # the target is the last argument
    g=$(printf '%s' "$t" | tr -d 0-9)
    mkdir -p "running/$g"
    touch "running/$g/$t"
    ls "running/$g" | wc -l >> "conc-$g.log"
    if [ -n "$FAKE_SLEEP" ]; then sleep "$FAKE_SLEEP"; fi
    rm "running/$g/$t"
    mkdir -p "targets/$t"
    echo '{}' > "targets/$t/result.json" ;;
  gather)
    if [ "$4" = --post-submit ]; then touch .fanout/post_submit.stamp; else echo '{}' > manifest.json; fi ;;
  *)
    exit 2 ;;
esac
)SH");
  EXPECT_EQ(chmod(path.c_str(), 0755), 0) << path;
}

void PrepareFakeBuildDir(const std::string& build_dir, const std::vector<std::string>& targets) {
  std::string list;
  for (const std::string& t : targets) {
    list += t + "\n";
    WriteFile(build_dir + "/src/" + t, "v1 " + t);
  }
  WriteFile(build_dir + "/.fanout/targets.txt", list);
}

std::vector<std::string> FakeCalls(const std::string& build_dir) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(build_dir + "/calls.log"));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int MaxConcurrency(const std::string& build_dir, const std::string& group) {
  std::istringstream in(ReadFile(build_dir + "/conc-" + group + ".log"));
  int max = 0;
  for (int n; in >> n;) max = std::max(max, n);
  return max;
}

FakeBuildDir::FakeBuildDir(Plan plan, const std::string& description_rel)
    : plan_(std::move(plan)), build_(root_ / "repo/build") {
  plan_.build_dir = build_;
  plan_.description_path = root_ / description_rel;
  plan_.gen_args = {"-f", plan_.description_path, "-B", build_, "--source", "$REV it's"};
  plan_.fanout_binary = root_ / "it's tools #1 $x/fanout";
  WriteFakeFanout(plan_.fanout_binary);
  WriteFile(plan_.description_path, "version: 1\n");
  MakeOld(plan_.description_path);
  std::vector<std::string> names;
  for (const PlanTarget& t : plan_.targets) names.push_back(t.def.name);
  PrepareFakeBuildDir(build_, names);
  // As `fanout gen` does, before the build file that names it.
  WriteFile(build_ + "/" + layout::kPlan, PlanToJson(plan_));
  MakeOld(build_ + "/" + layout::kPlan);
}

RunResult FakeBuildDir::Run(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env) const {
  return testing::Run(argv, build_, env);
}

std::vector<std::string> FakeBuildDir::Calls() const { return FakeCalls(build_); }

void FakeBuildDir::ClearCalls() const { WriteFile(build_ + "/calls.log", ""); }

void MakeOld(const std::string& path) {
  struct timeval times[2] = {{946684800, 0}, {946684800, 0}};
  EXPECT_EQ(utimes(path.c_str(), times), 0) << path;
}

}  // namespace fanout::testing
