// Benchmark of `fanout affected` against what CI scripts run today, in one run, as ratios.
//
// Generates (with `git fast-import`) a bare repository of 100,000 files and a description of
// 1,000 targets, then a second commit 50 changed paths away, and times, on the same commits:
//   - `git diff --name-only A B` (lists the changes; reads no description, matches nothing);
//   - `fanout affected --base A --head B --format json`, the real binary, and what its time is
//     made of (process start-up, libgit2 start-up, loading the description, ComputeAffected);
//   - the per-target loop `git diff --quiet A B -- <pathspecs>`, once per target.
// Wall times are medians; CPU times (user + system) are shown too, since they are steadier on a
// shared machine. It also checks that the binary's answer equals the loop's plus dependents.
//
//   affected_bench [--files N] [--targets N] [--changes N] [--runs N] [--loop N] [--dir DIR]
//                  [--fanout BINARY]
// --loop N times the loop over the first N targets only and extrapolates to all of them (the
// output says so); by default every target runs. --dir keeps the generated repository there
// and reuses it on the next run.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include "affected/affected.h"
#include "description/loader.h"
#include "git/git.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  int files = 100000;
  int targets = 1000;
  int changes = 50;
  int runs = 21;
  int loop = 0;  // 0: all targets
  std::string dir;
  std::string fanout;  // the binary
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

/// CPU time of this process so far, in ms.
double SelfCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Timing {
  double wall_ms = 0;
  double cpu_ms = 0;  ///< user + system
};

/// Runs argv with stdout captured (when `out`) and stderr discarded; returns the exit code and
/// fills `*t` with the child's wall and CPU time.
int Spawn(const std::vector<std::string>& argv, std::string* out = nullptr, Timing* t = nullptr) {
  int pipefd[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (out) {
    if (pipe(pipefd) != 0) return -1;
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    posix_spawn_file_actions_addclose(&fa, pipefd[1]);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (out) {
    close(pipefd[1]);
    char buf[65536];
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) out->append(buf, n);
    close(pipefd[0]);
  }
  if (rc != 0) return -1;
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  if (t) {
    t->wall_ms = Ms(Clock::now() - start);
    t->cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// Median wall and CPU times of running each command `runs` times, interleaved so that a
/// change in the machine's load affects every command alike.
std::vector<Timing> TimeCommands(int runs, const std::vector<std::vector<std::string>>& cmds) {
  std::vector<std::vector<double>> wall(cmds.size()), cpu(cmds.size());
  for (int i = 0; i < runs; ++i) {
    for (size_t k = 0; k < cmds.size(); ++k) {
      Timing t;
      Spawn(cmds[k], nullptr, &t);
      wall[k].push_back(t.wall_ms);
      cpu[k].push_back(t.cpu_ms);
    }
  }
  std::vector<Timing> out;
  for (size_t k = 0; k < cmds.size(); ++k) out.push_back({Median(wall[k]), Median(cpu[k])});
  return out;
}

std::string TargetName(int i) { return fmt::format("t{:04}", i); }
std::string TargetDir(int i) { return fmt::format("svc/{}", TargetName(i)); }

/// What each target reads: its own directory minus tests, plus one shared library.
std::vector<std::string> TargetInputs(int i) {
  return {TargetDir(i) + "/**", "!" + TargetDir(i) + "/test/**",
          fmt::format("lib/l{:02}/**", i % 100)};
}
/// Families of ten: the first of each family is the base image of the other nine.
std::vector<std::string> TargetDeps(int i) {
  if (i % 10 == 0) return {};
  return {TargetName(i - i % 10)};
}

std::string Description(const Config& c) {
  std::string y =
      "version: 1\npools:\n  docker: 4\nglobal_inputs: [Makefile, \"ci/**\"]\ntargets:\n";
  for (int i = 0; i < c.targets; ++i) {
    y += fmt::format("  {}:\n    command: ./build.sh {}\n    inputs: [", TargetName(i), i);
    auto in = TargetInputs(i);
    for (size_t k = 0; k < in.size(); ++k) y += fmt::format("{}\"{}\"", k ? ", " : "", in[k]);
    y += "]\n    pool: docker\n";
    auto deps = TargetDeps(i);
    if (!deps.empty()) y += fmt::format("    deps: [{}]\n", deps[0]);
  }
  return y;
}

/// Every file path of commit A, in a stable order.
std::vector<std::string> FilePaths(const Config& c) {
  std::vector<std::string> paths = {"Makefile", "ci/build.yml"};
  const int lib_files = c.files / 10;
  for (int i = 0; paths.size() < static_cast<size_t>(2 + lib_files); ++i) {
    paths.push_back(fmt::format("lib/l{:02}/src/f{}.c", i % 100, i));
  }
  const int per_target = (c.files - static_cast<int>(paths.size())) / c.targets;
  for (int t = 0; t < c.targets; ++t) {
    for (int k = 0; k < per_target; ++k) {
      const char* sub = k % 9 == 0 ? "test" : k % 3 == 0 ? "src/pkg" : "src";
      paths.push_back(fmt::format("{}/{}/f{}.go", TargetDir(t), sub, k));
    }
  }
  while (paths.size() < static_cast<size_t>(c.files)) {
    paths.push_back(fmt::format("docs/d{}.md", paths.size()));
  }
  return paths;
}

std::string Blob(const std::string& path, const std::string& content) {
  return fmt::format("M 100644 inline {}\ndata {}\n{}\n", path, content.size(), content);
}

/// Creates the bare repository with commits A (refs/heads/a) and B (refs/heads/b).
bool Generate(const Config& c, const std::string& repo) {
  if (Spawn({"git", "init", "-q", "--bare", repo}) != 0) return false;
  std::vector<std::string> paths = FilePaths(c);
  std::string s = "commit refs/heads/a\ncommitter B <b@example.com> 1000000000 +0000\ndata 1\nA\n";
  s += Blob("fanout.yaml", Description(c));
  for (const std::string& p : paths) s += Blob(p, "content of " + p + "\n");
  // B: edits across the tree (sources, tests, libraries), a few adds, deletes and renames;
  // never a global input, so the answer is a real selection.
  s += "commit refs/heads/b\ncommitter B <b@example.com> 1000000001 +0000\ndata 1\nB\nfrom "
       "refs/heads/a\n";
  std::mt19937 rng(42);
  std::set<size_t> touched;
  int changes = 0;
  while (changes < c.changes) {
    size_t i = 2 + rng() % (paths.size() - 2);
    if (!touched.insert(i).second) continue;
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0 && changes + 2 <= c.changes) {  // a rename: two changed paths
      s += "D " + paths[i] + "\n" + Blob(paths[i] + ".moved", "content of " + paths[i] + "\n");
      changes += 2;
    } else if (kind == 1) {
      s += "D " + paths[i] + "\n";
      ++changes;
    } else if (kind == 2) {
      s += Blob(paths[i] + ".new", "new\n");
      ++changes;
    } else {
      s += Blob(paths[i], "edited " + paths[i] + "\n");
      ++changes;
    }
  }
  const std::string stream = repo + "/stream";
  if (std::FILE* f = std::fopen(stream.c_str(), "wb")) {
    std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
  } else {
    return false;
  }
  return Spawn({"sh", "-c", "git -C '" + repo + "' fast-import --quiet < '" + stream + "'"}) == 0;
}

std::string Pathspec(const std::string& p) {
  return p[0] == '!' ? ":(glob,exclude)" + p.substr(1) : ":(glob)" + p;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  c.fanout = (boost::filesystem::path(argv[0]).parent_path() / "fanout").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--files") {
      c.files = std::atoi(v.c_str());
    } else if (k == "--targets") {
      c.targets = std::atoi(v.c_str());
    } else if (k == "--changes") {
      c.changes = std::atoi(v.c_str());
    } else if (k == "--runs") {
      c.runs = std::max(1, std::atoi(v.c_str()));
    } else if (k == "--loop") {
      c.loop = std::atoi(v.c_str());
    } else if (k == "--dir") {
      c.dir = v;
    } else if (k == "--fanout") {
      c.fanout = v;
    } else {
      fmt::print(stderr, "unknown option {}\n", k);
      return 2;
    }
  }
  const bool temp = c.dir.empty();
  if (temp) {
    std::string tmpl =
        (boost::filesystem::temp_directory_path() / "affected-bench.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return 1;
    c.dir = tmpl;
  }
  const std::string repo = c.dir + "/repo.git";
  const auto gen_start = Clock::now();
  if (!boost::filesystem::exists(repo + "/refs/heads/b")) {
    if (!Generate(c, repo)) {
      fmt::print(stderr, "generating the repository failed\n");
      return 1;
    }
  }
  const double gen_ms = Ms(Clock::now() - gen_start);
  std::string a, b, names;
  Spawn({"git", "-C", repo, "rev-parse", "refs/heads/a"}, &a);
  Spawn({"git", "-C", repo, "rev-parse", "refs/heads/b"}, &b);
  a.resize(40);
  b.resize(40);
  Spawn({"git", "-C", repo, "diff", "--name-only", "--no-renames", a, b}, &names);
  const long changed = std::count(names.begin(), names.end(), '\n');

  const std::vector<std::string> fanout_argv = {c.fanout,      "affected", "--repo", repo,     "-f",
                                                "fanout.yaml", "--base",   a,        "--head", b,
                                                "--format",    "json"};
  std::string json_out;  // also warms the page cache
  if (Spawn(fanout_argv, &json_out) != 0) {
    fmt::print(stderr, "fanout affected failed: {}\n", fmt::join(fanout_argv, " "));
    return 1;
  }
  const std::vector<Timing> timings = TimeCommands(
      c.runs,
      {{"git", "-C", repo, "diff", "--name-only", a, b}, fanout_argv, {c.fanout, "--version"}});
  const Timing git = timings[0], fanout = timings[1], version = timings[2];

  // The library's phases, in process, as CPU time.
  const double init_start = SelfCpuMs();
  fanout::EnsureLibgit2();
  const double init_ms = SelfCpuMs() - init_start;
  std::vector<double> load_cpu, compute_cpu;
  size_t lib_affected = 0;
  for (int i = 0; i < c.runs; ++i) {
    const double t0 = SelfCpuMs();
    auto r = fanout::Repository::Open(repo);
    auto commit = r->ResolveCommit(b);
    auto text = r->ReadFileAt(*r->CommitTree(*commit), "fanout.yaml");
    fanout::LoadResult desc = fanout::LoadDescriptionText(**text, "fanout.yaml");
    const double t1 = SelfCpuMs();
    fanout::AffectedOptions opts;
    opts.base = a;
    opts.head = b;
    opts.description_relpath = "fanout.yaml";
    auto res = fanout::ComputeAffected(*r, *desc.description, opts);
    compute_cpu.push_back(SelfCpuMs() - t1);
    load_cpu.push_back(t1 - t0);
    if (res.ok()) lib_affected = res->affected.size();
  }
  const double load_ms = Median(load_cpu), compute_ms = Median(compute_cpu);

  // The per-target loop, as CI scripts write it.
  const int loop_n = c.loop > 0 ? std::min(c.loop, c.targets) : c.targets;
  std::set<std::string> loop_direct;
  double loop_cpu_ms = 0;
  const auto loop_start = Clock::now();
  for (int i = 0; i < loop_n; ++i) {
    std::vector<std::string> cmd = {"git", "-C", repo, "diff", "--quiet", a, b, "--"};
    for (const std::string& p : TargetInputs(i)) cmd.push_back(Pathspec(p));
    Timing t;
    if (Spawn(cmd, nullptr, &t) == 1) loop_direct.insert(TargetName(i));
    loop_cpu_ms += t.cpu_ms;
  }
  const double loop_sample_ms = Ms(Clock::now() - loop_start);
  const double loop_ms = loop_sample_ms * c.targets / loop_n;
  loop_cpu_ms = loop_cpu_ms * c.targets / loop_n;

  // The answers must agree: the loop's direct hits plus their dependents (deps point to lower
  // numbers, so one pass in order closes the set).
  std::set<std::string> want = loop_direct;
  for (int i = 0; i < loop_n; ++i) {
    for (const std::string& d : TargetDeps(i)) {
      if (want.count(d)) want.insert(TargetName(i));
    }
  }
  const nlohmann::json doc = nlohmann::json::parse(json_out);
  std::set<std::string> got, got_sampled;
  for (const auto& t : doc["affected"]) got.insert(t["name"].get<std::string>());
  for (const std::string& n : got) {
    if (std::stoi(n.substr(1)) < loop_n) got_sampled.insert(n);
  }
  const bool agree = got_sampled == want && lib_affected == got.size();

  fmt::print(
      "repository: {} files, {} targets, {} changed paths between A and B; {} targets "
      "affected\n",
      c.files, c.targets, changed, got.size());
  if (gen_ms > 100) fmt::print("(generated with git fast-import in {:.1f} s)\n", gen_ms / 1000);
  fmt::print("{:<46} {:>9} {:>9}   (medians of {} runs)\n", "", "wall ms", "CPU ms", c.runs);
  auto row = [](const std::string& what, double wall, double cpu, const std::string& note) {
    fmt::print("{:<46} {:>9} {:>9}   {}\n", what, wall > 0 ? fmt::format("{:.2f}", wall) : "",
               cpu > 0 ? fmt::format("{:.2f}", cpu) : "", note);
  };
  row("git diff --name-only A B", git.wall_ms, git.cpu_ms, "");
  row("fanout affected --format json", fanout.wall_ms, fanout.cpu_ms,
      fmt::format("= {:.2f}x git diff (wall), {:.2f}x (CPU)", fanout.wall_ms / git.wall_ms,
                  fanout.cpu_ms / git.cpu_ms));
  row("  process start-up (fanout --version)", version.wall_ms, version.cpu_ms, "");
  row("  libgit2 start-up (git_libgit2_init)", 0, init_ms, "in process");
  row("  open, read and load the description", 0, load_ms, "in process");
  row("  ComputeAffected", 0, compute_ms,
      fmt::format("in process; = {:.2f}x git diff (CPU)", compute_ms / git.cpu_ms));
  row(fmt::format("per-target loop: {} x git diff --quiet", c.targets), loop_ms, loop_cpu_ms,
      fmt::format("= {:.0f}x fanout affected (wall), {:.0f}x (CPU){}", loop_ms / fanout.wall_ms,
                  loop_cpu_ms / fanout.cpu_ms,
                  loop_n == c.targets
                      ? ""
                      : fmt::format("; timed {} targets ({:.1f} ms) and extrapolated", loop_n,
                                    loop_sample_ms)));
  auto verdict = [](bool met) { return met ? "met" : "NOT MET"; };
  fmt::print(
      "goals: fanout affected <= 3x git diff: wall {}, CPU {}; >= 100x faster than the loop: "
      "wall {}, CPU {}; answers agree with the loop: {}\n",
      verdict(fanout.wall_ms <= 3 * git.wall_ms), verdict(fanout.cpu_ms <= 3 * git.cpu_ms),
      verdict(loop_ms >= 100 * fanout.wall_ms), verdict(loop_cpu_ms >= 100 * fanout.cpu_ms),
      agree ? "yes" : "NO");
  if (temp) boost::filesystem::remove_all(c.dir);
  return agree ? 0 : 1;
}
