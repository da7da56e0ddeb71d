#include "exec_fixture.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "sandbox/landlock.h"
#include "sandbox/probe.h"

namespace fanout::testing {

ExecFixture::ExecFixture(bool build_in_repo)
    : build_dir_(build_in_repo ? repo_ / "build" : build_.path()) {
  repo_.Write("src/main.txt", "hello\n");
  if (build_in_repo) repo_.Write(".gitignore", "/build/\n");
}

Target& ExecFixture::AddTarget(const std::string& name, const std::string& command,
                               std::vector<std::string> inputs) {
  Target t;
  t.name = name;
  t.command = command;
  t.inputs = std::move(inputs);
  desc_.targets.push_back(t);
  std::sort(desc_.targets.begin(), desc_.targets.end(),
            [](const Target& a, const Target& b) { return a.name < b.name; });
  return *std::find_if(desc_.targets.begin(), desc_.targets.end(),
                       [&](const Target& x) { return x.name == name; });
}

void ExecFixture::Write() {
  commit_ = repo_.Commit("fixture");
  tree_ = repo_.Git({"rev-parse", "HEAD^{tree}"});
  tree_.erase(tree_.find_last_not_of('\n') + 1);
  Plan plan = MakePlan(desc_);
  plan.repo_root = repo_.path();
  plan.build_dir = build_dir_;
  plan.fanout_binary = FanoutBinary();
  WriteFile(Build(".fanout/plan.json"), PlanToJson(plan));
  nlohmann::json source = {{"source", "worktree"}, {"commit", commit_}, {"tree", tree_}};
  WriteFile(Build(".fanout/source.json"), source.dump());
  for (const PlanTarget& t : plan.targets) {
    WriteFile(Build(".fanout/stamps/" + t.def.name + ".stamp"), "digest-" + t.def.name + "\n");
  }
}

RunResult ExecFixture::Exec(const std::string& target, std::vector<std::string> env,
                            const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {FanoutBinary(), "exec", "-B", ".", target};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return Run(argv, build_dir_, env);
}

std::vector<int> ProcessesMatching(const std::string& needle) {
  std::vector<int> pids;
  DIR* d = opendir("/proc");
  if (!d) return pids;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string cmd = ss.str();
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) != std::string::npos) pids.push_back(std::atoi(e->d_name));
  }
  closedir(d);
  return pids;
}

bool NamespacesAvailable(std::string* why) {
  TempDir scratch;
  sandbox::ProbeResult p = sandbox::RunProbe(scratch / "probe");
  if (!p.namespaces) *why = p.namespaces_unavailable;
  return p.namespaces;
}

bool LandlockAvailable() { return sandbox::LandlockAbi() > 0; }

}  // namespace fanout::testing
