// Workspace setup and per-edge sandbox overhead, measured in one run (scripts/bench-workspace).
//
// A generated 20,000-file repository; a target whose inputs are 1,000 of its files. Compares
// fanout's cold materialization with `git worktree add` of the same commit (what users do
// today) and `git archive HEAD <paths> | tar -x` (the same 1,000 files), then the warm setup
// (the tree already materialized) and the cost of running `true` in each sandbox tier, also
// inside a per-edge cgroup with memory and pids limits where this machine allows one.
// Every figure is the median of interleaved rounds.
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "git/git.h"
#include "plan/plan.h"
#include "sandbox/base_cache.h"
#include "sandbox/cgroup.h"
#include "sandbox/fs_util.h"
#include "sandbox/isolate.h"
#include "sandbox/probe.h"
#include "sandbox/workspace.h"

namespace fanout::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kDirs = 200, kFilesPerDir = 100;  // 20,000 files
constexpr int kInputDirs = 10;                  // 1,000 input files

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Check(bool ok, const std::string& what) {
  if (!ok) {
    fmt::print(stderr, "workspace_bench: {}\n", what);
    std::exit(1);
  }
}

void Sh(const std::string& cmd) { Check(std::system(cmd.c_str()) == 0, "failed: " + cmd); }

void Write(const std::string& path, const std::string& content) {
  Check(sandbox::MakeDirs(path.substr(0, path.find_last_of('/'))).ok(), "mkdir " + path);
  Check(WriteFileAtomically(path, content).ok(), "write " + path);
}

std::string MakeRepo(const std::string& dir) {
  std::string repo = dir + "/repo";
  Sh("git init -q -b main " + repo);
  uint64_t x = 88172645463325252ull;
  for (int d = 0; d < kDirs; ++d) {
    for (int f = 0; f < kFilesPerDir; ++f) {
      std::string content;
      const int lines = 20 + static_cast<int>(x % 60);
      for (int l = 0; l < lines; ++l) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        content += fmt::format("line {} of {}/{}: {:016x}\n", l, d, f, x);
      }
      Write(fmt::format("{}/svc/d{:03}/f{:03}.txt", repo, d, f), content);
    }
  }
  Write(repo + "/Makefile", "all:\n");
  Sh("cd " + repo +
     " && git add -A && git -c gc.auto=0 -c user.email=b@b -c user.name=b commit -q -m bench && "
     "git gc -q");
  return repo;
}

std::vector<std::string> InputPatterns() {
  std::vector<std::string> p;
  for (int d = 0; d < kInputDirs; ++d) p.push_back(fmt::format("svc/d{:03}", d));
  return p;
}

std::string Capture(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  Check(f != nullptr, "popen");
  char buf[256];
  while (fgets(buf, sizeof buf, f)) out += buf;
  pclose(f);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Runs /bin/sh -c true directly: the floor any sandbox adds to.
void PlainTrue() {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execl("/bin/sh", "sh", "-c", "true", (char*)nullptr);
    _exit(127);
  }
  waitpid(pid, nullptr, 0);
}

struct Row {
  std::string name;
  double seconds;
  std::string note;
};

}  // namespace

int Main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  int edge_runs = argc > 2 ? std::atoi(argv[2]) : 40;
  // Signals as fanout exec has them: read from a signalfd, orphans come back to us.
  UniqueFd sigfd = sandbox::BecomeSupervisor();

  const char* tmp = std::getenv("TMPDIR");
  std::string root = std::string(tmp && *tmp ? tmp : "/tmp") + "/fanout-bench.XXXXXX";
  Check(mkdtemp(root.data()) != nullptr, "mkdtemp");
  fmt::print("generating a {}-file repository in {} ...\n", kDirs * kFilesPerDir, root);
  const std::string repo = MakeRepo(root);
  const std::string tree_hex = Capture("git -C " + repo + " rev-parse HEAD^{tree}");
  const git_oid tree = *ParseOid(tree_hex);
  const sandbox::InputSelection sel{InputPatterns(), {"Makefile"}, false};
  std::string archive_paths;
  for (const std::string& p : InputPatterns()) archive_paths += " " + p;
  // Warm the pack in the page cache, as a CI machine that just fetched has it.
  Sh("git -C " + repo + " archive HEAD > /dev/null");

  std::map<std::string, std::vector<double>> t;
  int n = 0;
  for (int r = 0; r < rounds; ++r) {
    // fanout cold: select + materialize the base (+ the private copy for the copy mode).
    for (const char* mode : {"overlay", "copy"}) {
      const std::string build = fmt::format("{}/build-{}", root, n++);
      sandbox::BaseCache cache(build + "/.fanout/bases");
      auto ws = sandbox::WorkspacePaths::For(build, "t");
      auto a = Clock::now();
      auto base = cache.Acquire({repo, ""}, tree, sel);
      Check(base.ok(), base.ok() ? "" : base.error().message);
      auto prep = sandbox::PrepareWorkspace(ws, *base,
                                            std::string(mode) == "overlay"
                                                ? sandbox::WorkspaceMode::kOverlay
                                                : sandbox::WorkspaceMode::kCopy);
      auto b = Clock::now();
      Check(prep.ok(), "prepare");
      t[std::string("cold-") + mode].push_back(Seconds(a, b));
      // Warm: the same tree already materialized (a rerun, or another target on it).
      a = Clock::now();
      auto warm = cache.Acquire({repo, ""}, tree, sel);
      auto prep2 = sandbox::PrepareWorkspace(ws, *warm,
                                             std::string(mode) == "overlay"
                                                 ? sandbox::WorkspaceMode::kOverlay
                                                 : sandbox::WorkspaceMode::kCopy);
      b = Clock::now();
      Check(warm.ok() && prep2.ok() && prep2->files_written == 0, "warm rewrote files");
      t[std::string("warm-") + mode].push_back(Seconds(a, b));
    }
    // libgit2's own checkout of the same 1,000 paths, for the writer choice.
    {
      const std::string dir = fmt::format("{}/lg2-{}", root, n++);
      auto repo_h = Repository::Open(repo);
      auto files = sandbox::SelectFiles(*repo_h, tree, sel);
      std::vector<std::string> paths;
      for (const TreeFile& f : *files) paths.push_back(f.path);
      std::vector<char*> cpaths;
      for (std::string& p : paths) cpaths.push_back(p.data());
      auto a = Clock::now();
      git_object* obj = nullptr;
      Check(git_object_lookup(&obj, repo_h->get(), &tree, GIT_OBJECT_TREE) == 0, "lookup tree");
      ObjectPtr tree_obj(obj);
      git_checkout_options opts;
      git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
      opts.checkout_strategy =
          GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
      opts.disable_filters = 1;
      opts.target_directory = dir.c_str();
      opts.paths.strings = cpaths.data();
      opts.paths.count = cpaths.size();
      Check(git_checkout_tree(repo_h->get(), tree_obj.get(), &opts) == 0, "git_checkout_tree");
      t["libgit2-checkout"].push_back(Seconds(a, Clock::now()));
    }
    {
      const std::string dir = fmt::format("{}/wt-{}", root, n++);
      auto a = Clock::now();
      Sh("git -C " + repo + " worktree add -q --detach " + dir + " HEAD");
      t["worktree"].push_back(Seconds(a, Clock::now()));
      Sh("git -C " + repo + " worktree remove --force " + dir);
    }
    {
      const std::string dir = fmt::format("{}/ar-{}", root, n++);
      Sh("mkdir -p " + dir);
      auto a = Clock::now();
      Sh("git -C " + repo + " archive HEAD" + archive_paths + " Makefile | tar -x -C " + dir);
      t["archive"].push_back(Seconds(a, Clock::now()));
    }
  }

  // Per-edge overhead of running `true`.
  const std::string ebuild = root + "/edge";
  sandbox::BaseCache ecache(ebuild + "/.fanout/bases");
  auto ebase = ecache.Acquire({repo, ""}, tree, sel);
  Check(ebase.ok(), "edge base");
  const sandbox::ProbeResult probe = sandbox::RunProbe(ebuild + "/.probe");
  auto ews = sandbox::WorkspacePaths::For(ebuild, "t");
  UniqueFd log(open((ebuild + "/log.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::vector<std::pair<std::string, sandbox::Tier>> tiers = {{"process", sandbox::Tier::kProcess}};
  if (probe.namespaces) tiers.insert(tiers.begin(), {"namespaces", sandbox::Tier::kNamespaces});
  for (int i = 0; i < edge_runs; ++i) {
    auto a = Clock::now();
    PlainTrue();
    t["edge-plain"].push_back(Seconds(a, Clock::now()));
    for (const auto& [name, tier] : tiers) {
      const bool overlay = tier == sandbox::Tier::kNamespaces && probe.overlay;
      auto prep = sandbox::PrepareWorkspace(
          ews, *ebase, overlay ? sandbox::WorkspaceMode::kOverlay : sandbox::WorkspaceMode::kCopy);
      Check(prep.ok(), "edge prepare");
      sandbox::SandboxSpec spec;
      spec.tier = tier;
      spec.command = "true";
      spec.env = {"PATH=/usr/bin:/bin"};
      spec.output_fd = log.get();
      spec.mounts.workspace = ews.src;
      spec.mounts.overlay = overlay;
      spec.mounts.lower = ebase->dir();
      spec.mounts.upper = ews.upper;
      spec.mounts.work = ews.work;
      spec.mounts.writable = {ews.home, ews.tmp};
      spec.mounts.keep = {ews.src, ews.home, ews.tmp};
      spec.mounts.hide = {repo, ebuild};
      spec.landlock = probe.landlock_abi > 0;
      for (const bool limited : {false, true}) {
        if (limited && (probe.cgroups.memory_parent.empty() || probe.cgroups.pids_parent.empty())) {
          continue;
        }
        a = Clock::now();
        std::unique_ptr<sandbox::EdgeCgroup> cgroup;
        if (limited) {
          auto made = sandbox::EdgeCgroup::Create(probe.cgroups, Limits{1ull << 30, 512, 0});
          Check(made.ok(), "edge cgroup");
          cgroup = std::move(*made);
          spec.cgroups = cgroup->joins();
        }
        auto sb = sandbox::Sandbox::Start(spec);
        Check(sb.ok(), "sandbox start");
        sandbox::Supervision sv = sandbox::Supervise(**sb, sigfd.get(), 0, 1);
        Check(sv.exit.exit_code == 0 && sv.exit.setup_error.empty(),
              "sandbox run: " + sv.exit.setup_error);
        if (cgroup) Check(cgroup->Destroy().ok(), "edge cgroup removal");
        t["edge-" + name + (limited ? "-cgroup" : "")].push_back(Seconds(a, Clock::now()));
      }
    }
  }

  // The whole `fanout exec` of a `true` target, warm, as Ninja runs it.
  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string fanout = len > 0 ? std::string(self, static_cast<size_t>(len)) : "";
  fanout = fanout.substr(0, fanout.find_last_of('/')) + "/fanout";
  if (access(fanout.c_str(), X_OK) == 0) {
    Description desc;
    Target tt;
    tt.name = "t";
    tt.command = "true";
    tt.inputs = InputPatterns();
    desc.targets.push_back(tt);
    desc.global_inputs = {"Makefile"};
    Plan plan = MakePlan(desc);
    plan.repo_root = repo;
    plan.build_dir = ebuild;
    plan.fanout_binary = fanout;
    Write(ebuild + "/.fanout/plan.json", PlanToJson(plan));
    nlohmann::json source = {{"source", "worktree"}, {"commit", nullptr}, {"tree", tree_hex}};
    Write(ebuild + "/.fanout/source.json", source.dump());
    Write(ebuild + "/.fanout/stamps/t.stamp", "bench\n");
    for (const auto& [name, tier] : tiers) {
      const std::string cmd =
          fmt::format("cd {} && FANOUT_SANDBOX={} {} exec -B . t", ebuild, name, fanout);
      Sh(cmd);  // first run: probe cache, workspace
      for (int i = 0; i < edge_runs / 2; ++i) {
        auto a = Clock::now();
        Sh(cmd);
        t["exec-" + name].push_back(Seconds(a, Clock::now()));
      }
    }
  }

  const double cold = Median(t["cold-overlay"]);
  const double cold_copy = Median(t["cold-copy"]);
  const double wt = Median(t["worktree"]);
  const double ar = Median(t["archive"]);
  auto ms = [](double s) { return fmt::format("{:9.2f} ms", s * 1000); };
  fmt::print("\nworkspace setup: {} files in the repository, {} inputs ({} rounds, medians)\n",
             kDirs * kFilesPerDir, kInputDirs * kFilesPerDir + 1, rounds);
  fmt::print("  {:<52} {:>12}  {}\n", "method", "time", "ratio");
  auto row = [&](const std::string& name, double s, const std::string& ratio) {
    fmt::print("  {:<52} {:>12}  {}\n", name, ms(s), ratio);
  };
  row("fanout cold (select + write base; overlay workspace)", cold, "1.00x");
  row("fanout cold (select + write base + private copy)", cold_copy,
      fmt::format("{:.2f}x", cold_copy / cold));
  row("libgit2 git_checkout_tree of the same paths", Median(t["libgit2-checkout"]),
      fmt::format("{:.2f}x", Median(t["libgit2-checkout"]) / cold));
  row("git worktree add --detach (whole commit)", wt,
      fmt::format("{:.2f}x  -> fanout cold is {:.1f}x faster ({:.1f}x with a copy)", wt / cold,
                  wt / cold, wt / cold_copy));
  row("git archive HEAD <paths> | tar -x (same files)", ar,
      fmt::format("{:.2f}x  -> fanout cold is {:.1f}x faster ({:.1f}x with a copy)", ar / cold,
                  ar / cold, ar / cold_copy));
  row("fanout warm (base cached; overlay workspace)", Median(t["warm-overlay"]), "");
  row("fanout warm (base cached; copy reset in place)", Median(t["warm-copy"]), "");
  fmt::print("\nper-edge overhead of running `true` ({} runs, medians)\n", edge_runs);
  const double plain = Median(t["edge-plain"]);
  row("fork + exec /bin/sh -c true", plain, "");
  for (const auto& [name, tier] : tiers) {
    const double s = Median(t["edge-" + name]);
    row(fmt::format("sandbox {} tier (start + supervise)", name), s,
        fmt::format("+{:.2f} ms", (s - plain) * 1000));
    if (t.count("edge-" + name + "-cgroup")) {
      const double c = Median(t["edge-" + name + "-cgroup"]);
      row(fmt::format("  + memory/pids limits in a {}",
                      sandbox::CgroupVersionName(probe.cgroups.version)),
          c, fmt::format("+{:.2f} ms over the tier", (c - s) * 1000));
    }
  }
  for (const auto& [name, tier] : tiers) {
    if (t.count("exec-" + name)) {
      row(fmt::format("whole `fanout exec` of `true`, {} tier (warm)", name),
          Median(t["exec-" + name]), "");
    }
  }
  Sh("chmod -R u+w " + root + " 2>/dev/null; rm -rf " + root);
  return 0;
}

}  // namespace fanout::bench

int main(int argc, char** argv) { return fanout::bench::Main(argc, argv); }
