#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/child_processes.h"
#include "base/edge_wire.h"
#include "base/exit_codes.h"
#include "base/find_program.h"
#include "base/unique_fd.h"
#include "cli/build_dir.h"
#include "cli/cache_options.h"
#include "cli/cli.h"
#include "cli/cmd_gen.h"
#include "cli/exec_server.h"
#include "description/diagnostic.h"
#include "git/source_state.h"
#include "records/import_record.h"
#include "records/manifest.h"
#include "report/build_monitor.h"
#include "report/dirty_build.h"
#include "report/files.h"
#include "report/gather.h"
#include "report/progress.h"
#include "report/report.h"
#include "report/table.h"
#include "report/timeline_files.h"
#include "sandbox/weaken.h"

namespace fanout {

namespace {

struct BuildOptions {
  GenOptions gen;
  int jobs = 0;        ///< -j: 0 lets ninja choose
  int keep_going = 0;  ///< -k: 0 = keep going past any number of failures
  bool fail_fast = false;
  bool verbose = false;         ///< -v: stream the logs of running targets
  bool no_post_submit = false;  ///< --no-post-submit: build and report only (pull requests)
  bool post_submit = false;     ///< --post-submit: run it even on a pull request
  bool no_exec_server = false;  ///< --no-exec-server: every edge starts fanout itself
  std::vector<std::string> targets;
  /// --from: directories earlier tiers left (their action cache directories).
  std::vector<std::string> from;
  CacheOptions cache;
};

std::atomic<int> g_signal{0};
void OnSignal(int sig) {
  if (!g_signal) g_signal = sig;
}

double UnixNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

/// For the whole build, Ctrl-C (SIGINT to the process group) and SIGTERM are noted rather than
/// fatal: ninja and the targets wind down, and the report is still written.
class ScopedSignalCatcher {
 public:
  ScopedSignalCatcher() {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~ScopedSignalCatcher() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  ScopedSignalCatcher(const ScopedSignalCatcher&) = delete;
  ScopedSignalCatcher& operator=(const ScopedSignalCatcher&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// Runs ninja and waits for it; a signal aimed at us alone (CI cancelling the job) is
/// forwarded. Ninja dies with us (a SIGTERM on our death: it stops its edges). While it runs,
/// a process adopted by us (we are the build's subreaper) is an orphan of a runner that was
/// killed, and is killed at once. Once ninja has ended, whatever is left of its edges (runners
/// still recording an interruption after ninja itself was killed) is stopped and waited for,
/// so that the report is written after the last record (the exec server, `exec_server` or -1,
/// with them: it stops its workers likewise). Returns ninja's exit status (128+N when killed by
/// signal N).
int RunNinja(const std::vector<std::string>& args, pid_t exec_server) {
  fflush(stdout);
  const pid_t parent = getpid();
  // A SIGTERM forwarded to Ninja before its exec must not run our handler in the child.
  ForkedSignals signals;
  pid_t pid = fork();
  if (pid == 0) {
    signals.InChild();
    if (!sandbox::Weakened("reaper")) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(128 + SIGTERM);
    }
    // Caught signals revert to their defaults across exec.
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::string msg =
        fmt::format("fanout: error: cannot run ninja: {}; install ninja-build\n", strerror(errno));
    if (write(STDERR_FILENO, msg.data(), msg.size()) < 0) {
    }
    _exit(127);
  }
  signals.InParent();
  if (pid < 0) return 127;
  const bool reaper = !sandbox::Weakened("reaper");
  UniqueFd ninja(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  int status = 0;
  bool forwarded = false;
  for (;;) {
    if (g_signal && !forwarded) {
      kill(pid, g_signal == SIGINT ? SIGINT : SIGTERM);
      forwarded = true;
    }
    if (ninja) {
      struct pollfd p = {ninja.get(), POLLIN, 0};
      if (poll(&p, 1, 250) == 0) {
        if (reaper) KillChildrenExcept(pid, exec_server);
        continue;
      }
    }
    const pid_t r = waitpid(pid, &status, ninja ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
  }
  if (reaper) StopRemainingChildren(15);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/// How the build's progress is shown: redrawn in place in a terminal that takes colour, else
/// plain lines with a heartbeat (every $FANOUT_HEARTBEAT seconds, 30 by default); GitHub
/// Actions gets each finished target's log in a collapsed group unless -v streams the logs.
MonitorOptions MonitorOptionsFor(const BuildOptions& opts, const Plan& plan) {
  MonitorOptions m;
  m.total = opts.targets.empty() ? plan.targets.size() : 0;
  m.live = ShouldColor(STDOUT_FILENO);
  const char* github = std::getenv("GITHUB_ACTIONS");
  m.github_groups = github && std::string_view(github) == "true" && !opts.verbose;
  if (const char* beat = std::getenv("FANOUT_HEARTBEAT")) {
    char* end = nullptr;
    const double seconds = std::strtod(beat, &end);
    if (end != beat && *end == '\0' && seconds > 0) m.heartbeat_seconds = seconds;
  }
  return m;
}

bool IsInterruption(int rc) { return rc == kExitInterrupted || rc == kExitTerminated; }

/// Why the post-submit step must not run in this build although it would: --no-post-submit,
/// or a pull request's build without --post-submit. `hint` gets what would run it anyway.
std::optional<std::string> PostSubmitSkipReason(const BuildOptions& opts, std::string* hint) {
  if (opts.no_post_submit) return std::string("--no-post-submit was given");
  if (opts.post_submit) return std::nullopt;
  std::optional<std::string> pr =
      PullRequestEvidence([](const char* name) { return std::getenv(name); });
  if (!pr) return std::nullopt;
  *hint = "pass --post-submit to run it anyway";
  return fmt::format("this is a pull request ({})", *pr);
}

/// Runs the post-submit step after the main build, when it should run. Returns true when a
/// step that ran did not succeed for a reason the report cannot show (ninja itself failed).
bool PostSubmit(const BuildOptions& opts, const Plan& plan, bool build_ok, bool* interrupted) {
  if (plan.post_submit.command.empty() || *interrupted || !opts.targets.empty()) return false;
  if (!build_ok && !plan.post_submit.always) return false;  // the report says it is blocked
  std::string hint;
  if (std::optional<std::string> reason = PostSubmitSkipReason(opts, &hint)) {
    fmt::print("fanout: not running the post-submit step: {}{}\n", *reason,
               hint.empty() ? "" : "; " + hint);
    // Else the report would take an earlier run's record for this same manifest as this one's.
    if (Status st = RecordPostSubmitSkipped(plan.build_dir, plan, *reason); !st.ok()) {
      fmt::print(stderr, "fanout: warning: cannot record the skipped post-submit step: {}\n",
                 st.error().message);
    }
    return false;
  }
  int rc;
  if (build_ok) {
    // Through Ninja: the edge is up to date when this manifest was already published.
    rc = RunNinja({"ninja", "-C", plan.build_dir, "post_submit"}, -1);
  } else {
    fmt::print("fanout: running the post-submit step after the failure (when: always)\n");
    auto run = RunPostSubmit(plan.build_dir);
    if (!run.ok()) fmt::print(stderr, "fanout: error: {}\n", run.error().message);
    rc = run.ok() ? *run : run.error().exit_code;
  }
  if (g_signal || IsInterruption(rc) || rc == 128 + SIGINT) *interrupted = true;
  return rc != 0;
}

/// In CI, a build of uncommitted changes is warned about (report/dirty_build.h): on stdout in
/// GitHub Actions, whose runner reads workflow commands there, else on stderr.
void WarnIfDirtyInCi(const std::string& build_dir) {
  auto getenv = [](const char* name) { return std::getenv(name); };
  if (!RunsInCi(getenv)) return;
  auto source = ReadSourceState(build_dir);
  if (!source.ok() || !source->dirty) return;
  std::size_t dropped = 0;
  if (auto manifest = records::ReadManifest(build_dir + "/" + layout::kManifest); manifest.ok()) {
    for (const records::ManifestTarget& t : manifest->targets) {
      if (t.image && t.image->dropped_tags) dropped += t.image->dropped_tags->size();
    }
  }
  std::optional<std::string> warning = DirtyBuildWarning(*source, getenv, dropped);
  if (!warning) return;
  std::FILE* out = warning->starts_with("::") ? stdout : stderr;
  fmt::print(out, "{}\n", *warning);
  std::fflush(out);
}

/// With --from: the targets this build takes from earlier tiers (the dependencies of the
/// targets asked for that were not asked for themselves), written to BUILD/.fanout/import.json
/// and named to the edges by $FANOUT_IMPORT. Without it: neither. Errors are usage errors.
int PrepareImports(const BuildOptions& opts, const Plan& plan) {
  const std::string path = plan.build_dir + "/" + records::kImportRecordPath;
  if (opts.from.empty()) {
    unsetenv(records::kImportVariable);
    unlink(path.c_str());
    return kExitSuccess;
  }
  if (opts.targets.empty()) {
    fmt::print(stderr,
               "fanout build: error: --from needs the targets of this tier: 'fanout build --from "
               "DIR TARGET...' (the shard's targets from 'fanout matrix')\n");
    return kExitUsage;
  }
  records::ImportRecord record;
  for (const std::string& dir : opts.from) {
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
    if (ec || !std::filesystem::is_directory(absolute / "ac", ec)) {
      fmt::print(stderr,
                 "fanout build: error: --from {}: not an earlier tier's directory (it has no "
                 "ac/); give the --cache-dir that tier's job built with, as the workflow "
                 "downloaded it\n",
                 dir);
      return kExitUsage;
    }
    record.from.push_back(absolute.lexically_normal().string());
  }
  std::set<std::string> requested(opts.targets.begin(), opts.targets.end()), seen;
  std::vector<std::string> stack(opts.targets.begin(), opts.targets.end());
  while (!stack.empty()) {
    const std::string name = stack.back();
    stack.pop_back();
    const PlanTarget* t = plan.FindTarget(name);
    if (!t) continue;
    for (const std::string& dep : t->def.deps) {
      if (!seen.insert(dep).second) continue;
      stack.push_back(dep);
      if (!requested.count(dep) && plan.FindTarget(dep)) record.targets.push_back(dep);
    }
  }
  std::sort(record.targets.begin(), record.targets.end());
  if (Status st = records::WriteImportRecord(path, record); !st.ok()) {
    fmt::print(stderr, "fanout build: error: {}\n", st.error().message);
    return st.error().exit_code;
  }
  setenv(records::kImportVariable, path.c_str(), 1);
  return kExitSuccess;
}

int RunBuild(const BuildOptions& opts) {
  const double started = UnixNow();
  // From the start: a CI job cancelled while the description is read and the build directory
  // generated still gets a report saying that nothing ran, instead of none at all.
  ScopedSignalCatcher catcher;
  // Test-only: `reaper` turns off what keeps the build's processes from outliving it.
  const bool reaper = !sandbox::Weakened("reaper");
  if (reaper) BecomeSubreaper();
  if (opts.post_submit && opts.no_post_submit) {
    fmt::print(stderr,
               "fanout build: error: --post-submit and --no-post-submit contradict each other; "
               "pass one of them\n");
    return kExitUsage;
  }
  if (opts.gen.format != "ninja") {
    fmt::print(stderr, "fanout build: error: --format {} only generates; run {} yourself\n",
               opts.gen.format, opts.gen.format == "bake" ? "docker buildx bake" : "make");
    return kExitUsage;
  }
  if (int rc = ApplyCacheOptions("build", opts.cache); rc != kExitSuccess) return rc;
  Plan plan;
  BuildDirLock lock;  // held until the report is written
  int rc = RunGen(opts.gen, &plan, &lock);
  if (rc != kExitSuccess) return rc;
  setenv(kHeldBuildDirVariable, plan.build_dir.c_str(), 1);
  // Ninja's own status line names an edge when it ends; the monitor says when targets start
  // and end instead.
  std::vector<std::string> args = {"ninja", "-C", plan.build_dir, "--quiet"};
  if (opts.jobs > 0) args.push_back("-j" + std::to_string(opts.jobs));
  const int keep_going = opts.fail_fast ? 1 : opts.keep_going;
  args.push_back("-k" + std::to_string(keep_going));
  for (const std::string& t : opts.targets) {
    if (!plan.FindTarget(t)) {
      std::vector<std::string> names = plan.skipped;
      for (const PlanTarget& p : plan.targets) names.push_back(p.def.name);
      const std::string guess = SuggestName(t, names);
      fmt::print(stderr, "fanout build: error: unknown target '{}'; {}run 'fanout list'\n", t,
                 guess.empty() ? "" : "did you mean '" + guess + "'? ");
      return kExitUsage;
    }
    args.push_back(t);
  }

  if (int rc = PrepareImports(opts, plan); rc != kExitSuccess) return rc;

  BuildRecord record;
  record.started_at = started;
  record.fail_fast = opts.fail_fast;
  record.keep_going = keep_going;
  record.requested = opts.targets;
  // Written now too: the record of an earlier build must not describe this one.
  if (Status st = WriteBuildRecord(plan.build_dir, record); !st.ok()) {
    fmt::print(stderr, "fanout build: error: {}\n", st.error().message);
    return kExitTargetFailed;
  }

  // Edges fork from the exec server instead of starting fanout, when the build directory's
  // edges go through fanout-edge (generator/ninja_generator.cc) and it can be started. Its
  // variables reach Ninja and each edge's client, and are removed again; they are set before
  // the monitor's and the log follower's threads start, and removed after they stop.
  ExecServerProcess server;
  if (!opts.no_exec_server && !g_signal && FindEdgeClient(plan.fanout_binary)) {
    auto launched = ExecServerProcess::Start(plan.build_dir);
    if (launched.ok()) {
      server = std::move(*launched);
      setenv(edge::kServerVariable, server.socket_path().c_str(), 1);
      setenv(edge::kTokenVariable, server.token().c_str(), 1);
    } else {
      fmt::print(stderr, "fanout build: warning: {}; each edge starts fanout itself\n",
                 launched.error().message);
    }
  }
  std::vector<std::string> names;
  for (const PlanTarget& t : plan.targets) names.push_back(t.def.name);
  LogFollower follower(plan.build_dir, names, started, stdout);
  if (opts.verbose) follower.Start();
  // This run's events only: the file would otherwise grow with every build.
  if (truncate((plan.build_dir + "/" + records::kBuildEventsPath).c_str(), 0) != 0) {
    // missing (no target ran yet): exec creates it
  }
  BuildMonitor monitor(plan.build_dir, MonitorOptionsFor(opts, plan), stdout);
  monitor.Start();
  // Interrupted before ninja started: nothing runs, the report says so, and the build record
  // keeps -1 ("not known") for ninja's exit code.
  const int ninja_rc = g_signal ? -1 : RunNinja(args, server.pid());
  monitor.Stop();
  follower.Stop();
  unsetenv(edge::kServerVariable);
  unsetenv(edge::kTokenVariable);
  server.Stop();

  bool interrupted = g_signal != 0 || IsInterruption(ninja_rc) || ninja_rc == 128 + SIGINT;
  record.finished_at = UnixNow();
  record.interrupted = interrupted;
  record.ninja_exit_code = ninja_rc;
  (void)WriteBuildRecord(plan.build_dir, record);

  // The gather edge runs only when every target succeeded and all were asked for; otherwise
  // the manifest must still say what succeeded and what failed (a `when: always` post-submit
  // step reads it, and a CI shard built with TARGET... merges it with `fanout matrix --merge`).
  if (ninja_rc > 0 || interrupted || !opts.targets.empty()) {
    if (Status st = RunGather(plan.build_dir); !st.ok()) {
      fmt::print(stderr, "fanout: warning: cannot write the manifest: {}\n", st.error().message);
    }
  }
  WarnIfDirtyInCi(plan.build_dir);
  bool unexplained_failure = ninja_rc > 0;
  if (PostSubmit(opts, plan, ninja_rc == 0 && !interrupted, &interrupted)) {
    unexplained_failure = true;
  }
  record.finished_at = UnixNow();
  record.interrupted = interrupted;
  (void)WriteBuildRecord(plan.build_dir, record);

  auto report = LoadReport(plan.build_dir);
  if (!report.ok()) {
    fmt::print(stderr, "fanout build: error: {}\n", report.error().message);
    return interrupted ? kExitInterrupted : kExitTargetFailed;
  }
  if (Status st = WriteReportFiles(plan.build_dir, *report); !st.ok()) {
    fmt::print(stderr, "fanout build: warning: {}\n", st.error().message);
  }
  if (Status st = WriteTimelineFiles(plan.build_dir); !st.ok()) {
    fmt::print(stderr, "fanout build: warning: {}\n", st.error().message);
  }
  TableOptions table;
  table.color = ShouldColor(STDOUT_FILENO);
  table.build_dir =
      opts.gen.common.build_dir.empty() ? ShownPath(plan.build_dir) : opts.gen.common.build_dir;
  fmt::print("\n{}", FormatReportTable(*report, table));

  if (interrupted) return g_signal == SIGTERM ? 128 + SIGTERM : kExitInterrupted;
  if (report->ExitCode() != kExitSuccess) return kExitTargetFailed;
  if (unexplained_failure) {
    fmt::print(stderr, "fanout build: ninja failed although no target did; see its output above\n");
    return kExitTargetFailed;
  }
  return kExitSuccess;
}

}  // namespace

CommandFn SetupBuild(CLI::App* app) {
  auto opts = std::make_shared<BuildOptions>();
  AddGenOptions(app, &opts->gen);
  app->add_option("-j,--jobs", opts->jobs, "run N targets at once (default: ninja's choice)");
  app->add_option("-k,--keep-going", opts->keep_going,
                  "stop after N failures (0: never stop; the default)");
  app->add_flag("--no-post-submit", opts->no_post_submit,
                "do not run the post-submit step; forget an earlier failure of it");
  app->add_flag("--post-submit", opts->post_submit,
                "run the post-submit step even on a pull request (skipped there by default)");
  app->add_flag("--fail-fast", opts->fail_fast,
                "start no new target after the first failure (running ones finish)");
  app->add_flag("-v,--verbose", opts->verbose,
                "stream the logs of running targets, each line prefixed with its target");
  app->add_flag("--no-exec-server", opts->no_exec_server,
                "start fanout for each edge instead of forking it from the build's exec server "
                "(docs/exec-server.md)");
  AddCacheOptions(app, &opts->cache);
  app->add_option("--from", opts->from,
                  "take the dependencies of TARGET... that are not named from these directories "
                  "earlier tiers left (their --cache-dir), by action key, never building them "
                  "(repeatable; docs/sharding.md)")
      // One directory per --from, so the targets after it stay targets.
      ->allow_extra_args(false);
  app->add_option("targets", opts->targets, "targets to build (default: all)");
  return [opts] { return RunBuild(*opts); };
}

}  // namespace fanout
