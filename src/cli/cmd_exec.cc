// `fanout exec -B BUILD TARGET`: run by each build edge; the work is in src/sandbox/runner.h.
#include <cstdlib>
#include <memory>

#include "base/exit_codes.h"
#include "cli/cli.h"
#include "sandbox/runner.h"

namespace fanout {

CommandFn SetupExec(CLI::App* app) {
  auto opts = std::make_shared<sandbox::ExecOptions>();
  auto repo = std::make_shared<std::string>();
  app->add_option("-B,--build-dir", opts->build_dir, "the build directory")->capture_default_str();
  app->add_option("target", opts->target, "the target to build")->required();
  AddRepoOption(app, repo.get(), kBuildDirRepoHelp);
  app->add_flag("--require-sandbox", opts->require_sandbox,
                "fail instead of falling back below the namespaces sandbox tier");
  app->add_option("--sandbox", opts->sandbox_mode,
                  "isolation tier: auto, namespaces or process (default: $FANOUT_SANDBOX or auto)");
  app->add_flag("--pool-slots", opts->pool_slots,
                "hold a slot of the target's pool while it runs, waiting for one (for Make, "
                "which has no pools; Ninja's own pools already limit its edges)");
  CLI::Option* grace =
      app->add_option("--kill-grace", opts->kill_grace_seconds,
                      "seconds between SIGTERM and SIGKILL on timeout or interrupt "
                      "(default: $FANOUT_KILL_GRACE or 10)");
  return [opts, repo, grace] {
    if (int rc = CheckRepoOption("exec", *repo, opts->build_dir); rc != kExitSuccess) return rc;
    const char* g = std::getenv("FANOUT_KILL_GRACE");
    if (grace->count() == 0 && g && *g) {
      char* end = nullptr;
      double v = std::strtod(g, &end);
      if (end && *end == '\0' && v >= 0) opts->kill_grace_seconds = v;
    }
    return sandbox::RunExec(*opts);
  };
}

}  // namespace fanout
