// `fanout doctor`: which sandbox tier this machine gives fanout, and why; and how it enforces
// limits (cgroups or rlimits).
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "sandbox/probe.h"
#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

namespace {

struct DoctorOptions {
  std::string build_dir = "build";
  bool json = false;
  bool require_sandbox = false;
};

std::string YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

CommandFn SetupDoctor(CLI::App* app) {
  auto opts = std::make_shared<DoctorOptions>();
  app->add_option("-B,--build-dir", opts->build_dir,
                  "probe the file system of this build directory (default: build, else $TMPDIR)")
      ->capture_default_str();
  app->add_flag("--json", opts->json, "print the probe as JSON");
  app->add_flag("--require-sandbox", opts->require_sandbox,
                "exit 1 when the namespaces tier is not available");
  return [opts] {
    std::string dir = opts->build_dir;
    if (access(dir.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      dir = tmp && *tmp ? tmp : "/tmp";
    }
    const sandbox::ProbeResult p =
        sandbox::RunProbe(fmt::format("{}/.fanout-doctor-{}", dir, getpid()));
    const char* forced = std::getenv("FANOUT_SANDBOX");
    auto choice = sandbox::ChooseTier(p, forced ? forced : "", opts->require_sandbox);
    if (opts->json) {
      fmt::print("{}", sandbox::ProbeToJson(p));
    } else {
      auto row = [](const char* k, const std::string& v) { fmt::print("  {:<22} {}\n", k, v); };
      fmt::print("fanout sandbox probe (kernel {})\n", p.kernel);
      row("privileges", p.root ? "root with CAP_SYS_ADMIN (no user namespace needed)"
                               : "unprivileged (needs a user namespace)");
      if (!p.root) row("user namespace", YesNo(p.user_ns));
      row("mount/pid/ipc/uts ns", YesNo(p.namespaces || p.readonly_remount));
      row("network namespace", YesNo(p.net_ns));
      row("read-only remount", YesNo(p.readonly_remount));
      row("open_tree/move_mount", YesNo(p.detached_mounts));
      if (p.root) row("nested user namespace", YesNo(p.nested_user_ns));
      row("overlayfs", p.overlay ? fmt::format("yes (on {})", dir) : "no (private copies instead)");
      row("fresh /proc", YesNo(p.proc));
      // What the process tier does with it (the namespaces tier hides paths with mounts).
      row("landlock",
          p.landlock_abi > 0
              ? fmt::format("ABI {} (process tier: restricts reads and writes)", p.landlock_abi)
              : "no (process tier: reads and writes unrestricted)");
      row("seccomp", YesNo(p.seccomp));
      row("limits", sandbox::DescribeCgroupSupport(p.cgroups));
      if (choice.ok()) {
        row("tier", sandbox::TierName(choice->tier));
        if (!choice->fallback_reason.empty()) row("fallback reason", choice->fallback_reason);
      }
    }
    if (!choice.ok()) {
      fmt::print(stderr, "fanout: error: {}\n", choice.error().message);
      return kExitTargetFailed;
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
