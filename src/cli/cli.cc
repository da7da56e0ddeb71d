#include "cli/cli.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli/build_dir.h"
#include "cli/locate_description.h"
#include "git/libgit2_version.h"
#include "git/repo_check.h"

namespace fanout {

namespace {

constexpr Subcommand kSubcommands[] = {
    {"gen", "write BUILD/build.ninja (or a Makefile) for the description", SetupGen},
    {"build", "generate, then run ninja and report", SetupBuild},
    {"affected", "list the targets a git change affects", SetupAffected},
    {"check", "validate the description and print every error", SetupCheck},
    {"list", "list targets, pools and dependencies", SetupList},
    {"graph", "print the dependency graph (dot or mermaid)", SetupGraph},
    {"exec", "(run by build edges) build one target in its sandbox", SetupExec},
    {"exec-server", "(run by fanout build) run the build's edges without starting fanout for each",
     SetupExecServer},
    {"snapshot", "(run by the snapshot edge) refresh the per-target input stamps", SetupSnapshot},
    {"gather", "(run by the final edge) gather artifacts into the manifest", SetupGather},
    {"publish", "push the built images to their tags' registries", SetupPublish},
    {"report", "summarize the last build, failures included", SetupReport},
    {"trace", "write the last build's timeline (Chrome trace and HTML)", SetupTrace},
    {"matrix", "split the plan into shards for a CI matrix", SetupMatrix},
    {"doctor", "report which sandbox tier this machine supports", SetupDoctor},
    {"cache", "show, prune or verify the local action cache", SetupCache},
    {"explain", "print a target's action key, its parts, and what changed", SetupExplain},
    {"audit", "run a target traced; report inputs it never read and files it missed", SetupAudit},
};

}  // namespace

void AddDescriptionOptions(CLI::App* app, CommonOptions* opts) {
  CLI::Option* file =
      app->add_option("-f,--file", opts->file,
                      "the build description (default: fanout.yaml in the current directory or "
                      "the nearest parent, up to the repository's root)");
  app->parse_complete_callback([file, opts] {
    if (file->count() == 0) opts->file = LocateDescription();
  });
  AddRepoOption(app, &opts->repo,
                "the git repository (default: the one containing the description)");
}

void AddRepoOption(CLI::App* app, std::string* repo, const std::string& help) {
  app->add_option("--repo", *repo, help);
}

int CheckRepoOption(const char* command, const std::string& repo, const std::string& build_dir) {
  if (repo.empty()) return kExitSuccess;
  Status st = CheckRepoForBuildDir(repo, build_dir);
  if (st.ok()) return kExitSuccess;
  fmt::print(stderr, "fanout {}: error: {}\n", command, st.error().message);
  return st.error().exit_code;
}

void AddBuildDirOption(CLI::App* app, CommonOptions* opts) {
  app->add_option("-B,--build-dir", opts->build_dir, kBuildDirHelp)->option_text("DIR");
  if (app->get_option_no_throw("--file") != nullptr) return;
  app->parse_complete_callback([opts] { opts->build_dir = BuildDirForReading(opts->build_dir); });
}

CommandLine::CommandLine(std::string_view only)
    : app_(std::make_unique<CLI::App>(
          "fanout: build a monorepo's artifacts in parallel, in isolation, only when affected")) {
  app_->require_subcommand(1);
  // The version, and the libgit2 this process runs with: the system's shared library or the
  // one this project builds (git/libgit2_version.h), so a packager or a bug report can tell.
  app_->set_version_flag("--version", std::function<std::string()>([] {
                           return fmt::format("fanout {}\n{}", FANOUT_VERSION,
                                              Libgit2Description());
                         }));
  for (const Subcommand& sub : kSubcommands) {
    if (!only.empty() && only != sub.name) continue;
    CLI::App* s = app_->add_subcommand(sub.name, sub.help);
    CommandFn fn = sub.setup(s);
    s->callback([this, fn] { chosen_ = fn; });
  }
  std::string footer = "\nExit codes (docs/cli.md has each command's):\n";
  for (const ExitCodeMeaning& e : kExitCodes) {
    footer += fmt::format("  {:<5}{}\n", e.code, e.meaning);
  }
  app_->footer(footer);
}

int CommandLine::Run(int argc, char** argv) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app_->exit(e);
    return rc == 0 ? kExitSuccess : kExitUsage;
  }
  return chosen_ ? chosen_() : kExitUsage;
}

int RunCli(int argc, char** argv) {
  // Setting up every subcommand's options is a tenth of a short command's start, so when the
  // first argument names a subcommand only that one is set up; anything else (`--help`,
  // `--version`, a typo) gets them all, for the full help and "did you mean" errors.
  const bool named = argc > 1 && std::any_of(std::begin(kSubcommands), std::end(kSubcommands),
                                             [&](const Subcommand& sub) {
                                               return std::string_view(argv[1]) == sub.name;
                                             });
  CommandLine cli(named ? std::string_view(argv[1]) : std::string_view());
  return cli.Run(argc, argv);
}

}  // namespace fanout
