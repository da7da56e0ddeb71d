#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "src/cli.h"
#include "src/cmd_gen.h"
#include "src/exit_codes.h"
#include "src/gather.h"

namespace fanout {

namespace {

struct BuildOptions {
  GenOptions gen;
  int jobs = 0;        ///< -j: 0 lets ninja choose
  int keep_going = 0;  ///< -k: 0 = keep going past any number of failures
  bool fail_fast = false;
  std::vector<std::string> targets;
};

std::atomic<int> g_signal{0};
void OnSignal(int sig) { g_signal = sig; }

/// Runs ninja, waiting for it while Ctrl-C goes to both of us (the same process group);
/// returns its exit status.
int RunNinja(const std::vector<std::string>& args) {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int, old_term;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  pid_t pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    fmt::print(stderr, "fanout: error: cannot run ninja: {}; install ninja-build\n",
               std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  bool forwarded = false;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
    // A SIGTERM aimed at us alone (CI cancelling the job) must reach ninja too.
    if (g_signal && !forwarded) {
      kill(pid, g_signal == SIGINT ? SIGINT : SIGTERM);
      forwarded = true;
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int RunBuild(const BuildOptions& opts) {
  Plan plan;
  int rc = RunGen(opts.gen, &plan);
  if (rc != kExitSuccess) return rc;
  if (opts.gen.format != "ninja") {
    fmt::print(stderr, "fanout build: error: --format make only generates; run make yourself\n");
    return kExitUsage;
  }
  std::vector<std::string> args = {"ninja", "-C", plan.build_dir};
  if (opts.jobs > 0) args.push_back("-j" + std::to_string(opts.jobs));
  args.push_back("-k" + std::to_string(opts.fail_fast ? 1 : opts.keep_going));
  for (const std::string& t : opts.targets) {
    if (!plan.FindTarget(t)) {
      fmt::print(stderr, "fanout build: error: unknown target '{}'; run 'fanout list'\n", t);
      return kExitUsage;
    }
    args.push_back(t);
  }
  int ninja_rc = RunNinja(args);
  if (g_signal == SIGINT || ninja_rc == 130 || ninja_rc == 128 + SIGINT) return kExitInterrupted;
  if (g_signal) return 128 + g_signal;
  return ninja_rc == 0 ? kExitSuccess : kExitTargetFailed;
}

}  // namespace

CommandFn SetupBuild(CLI::App* app) {
  auto opts = std::make_shared<BuildOptions>();
  AddGenOptions(app, &opts->gen);
  app->add_option("-j,--jobs", opts->jobs, "run N targets at once (default: ninja's choice)");
  app->add_option("-k,--keep-going", opts->keep_going,
                  "stop after N failures (0: never stop; the default)");
  app->add_flag("--fail-fast", opts->fail_fast, "start no new target after the first failure");
  app->add_option("targets", opts->targets, "targets to build (default: all)");
  return [opts] { return RunBuild(*opts); };
}

}  // namespace fanout
