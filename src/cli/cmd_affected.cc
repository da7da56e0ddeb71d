// `fanout affected`: which targets a git change affects (docs/cli.md).
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "affected/affected.h"
#include "affected/affected_report.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "cli/build_dir.h"
#include "cli/cli.h"
#include "cli/locate_description.h"
#include "description/loader.h"
#include "git/description_source.h"
#include "git/git.h"
#include "git/source.h"

namespace fanout {

namespace {

namespace fs = boost::filesystem;

struct AffectedCli {
  CommonOptions common;
  std::string base;
  std::string head = "HEAD";
  bool direct = false;
  std::string format = "text";
  bool explain = false;
  std::string on_missing_base = "error";
};

/// The description as it is at the head: the work tree's file with --head worktree (or when
/// the file is outside the repository), else the file as committed in the head revision.
Expected<Description> LoadHeadDescription(const Repository& repo, const AffectedCli& cli,
                                          const SourceState& head, const std::string& relpath) {
  LoadResult loaded;
  if (cli.head == "worktree" || relpath.empty()) {
    loaded = LoadDescriptionFile(cli.common.file);
  } else {
    auto at = LoadDescriptionAtRevision(repo, head, relpath, cli.common.file);
    if (!at.ok()) return at.error();
    loaded = std::move(*at);
  }
  if (!loaded.description) {
    // Rendered diagnostics go out as they are; the empty Error says "already reported".
    fmt::print(stderr, "{}", loaded.FormatErrors());
    return MakeError("", kExitUsage);
  }
  return std::move(*loaded.description);
}

int RunAffected(const AffectedCli& cli) {
  auto fail = [](const Error& e) {
    fmt::print(stderr, "fanout affected: error: {}\n", e.message);
    return e.exit_code;
  };
  auto repo = OpenDescriptionRepo(cli.common);
  if (!repo.ok()) return fail(repo.error());
  auto relpath = DescriptionRelPath(*repo, cli.common.file);
  if (!relpath.ok()) return fail(relpath.error());
  // A description read from disk (--head worktree, or a file outside the repository) is read
  // first: its build_dir is left out of the work tree's snapshot.
  // (A bare repository has no work tree: its head is refused first.)
  const bool from_disk = !repo->is_bare() && (cli.head == "worktree" || relpath->empty());
  std::optional<Expected<Description>> desc;
  if (from_disk) desc = LoadHeadDescription(*repo, cli, SourceState{}, *relpath);
  if (desc && !desc->ok()) {
    return desc->error().message.empty() ? desc->error().exit_code : fail(desc->error());
  }
  std::vector<std::string> exclude_dirs;
  if (!repo->is_bare()) {
    boost::system::error_code ec;
    const std::string build_dir = ChooseBuildDir(
        cli.common.build_dir, desc ? (*desc)->build_dir : std::string(), repo->workdir());
    auto build = RelativeTo(build_dir, repo->workdir());
    if (build && fs::is_directory(build_dir, ec)) exclude_dirs.push_back(*build);
  }
  // The head is resolved once: the description is read from it and the diff made against it.
  auto head = ResolveSource(*repo, cli.head, "--head", exclude_dirs);
  if (!head.ok()) return fail(head.error());
  fmt::print(stderr, "{}", DirtySubmoduleWarnings(*head));
  if (!desc) desc = LoadHeadDescription(*repo, cli, *head, *relpath);
  if (!desc->ok()) {
    return desc->error().message.empty() ? desc->error().exit_code : fail(desc->error());
  }

  AffectedOptions opts;
  opts.base = cli.base;
  opts.head = cli.head;
  opts.direct = cli.direct;
  opts.on_missing_base_all = cli.on_missing_base == "all";
  opts.description_relpath = *relpath;
  opts.exclude_dirs = std::move(exclude_dirs);
  opts.head_state = std::move(*head);
  auto result = ComputeAffected(*repo, **desc, opts);
  if (!result.ok()) return fail(result.error());
  if (result->missing_base) {
    fmt::print(stderr, "fanout affected: warning: treating every target as affected: {}\n",
               result->all_reason.value_or(""));
  }

  if (cli.format == "json") {
    fmt::print("{}", AffectedToJson(*result));
  } else if (cli.format == "github") {
    if (Status s = WriteGithubOutput(AffectedToGithub(*result)); !s.ok()) return fail(s.error());
  } else {
    fmt::print("{}", cli.explain ? ExplainAffected(*result) : AffectedToText(*result));
  }
  // Machine formats keep stdout clean: the explanation goes to stderr.
  if (cli.explain && cli.format != "text") fmt::print(stderr, "{}", ExplainAffected(*result));
  std::fflush(stdout);
  return kExitSuccess;
}

}  // namespace

CommandFn SetupAffected(CLI::App* app) {
  auto cli = std::make_shared<AffectedCli>();
  AddDescriptionOptions(app, &cli->common);
  AddBuildDirOption(app, &cli->common);
  app->add_option("--base", cli->base,
                  "the base revision (all zeros: a new branch, everything is affected)")
      ->option_text("REV")
      ->required();
  app->add_option("--head", cli->head,
                  "the head revision, or 'worktree' for the work tree with staged, unstaged and "
                  "untracked files; the description is read from the head")
      ->option_text("REV|worktree (default: HEAD)");
  app->add_flag("--direct", cli->direct,
                "compare base with head (two-dot, as pushes do) instead of merge-base(base, "
                "head) with head");
  app->add_option("--format", cli->format,
                  "text: affected names in dependency order; json: base, head, affected targets "
                  "with reasons, unaffected, tiers; github: matrix, any and per-target outputs, "
                  "appended to $GITHUB_OUTPUT when set")
      ->check(CLI::IsMember({"text", "json", "github"}))
      ->capture_default_str();
  app->add_flag("--explain", cli->explain,
                "say why each target is affected (on stderr with --format json|github)");
  app->add_option("--on-missing-base", cli->on_missing_base,
                  "when the base or its history is missing: error (exit 3) or all (every "
                  "target affected, with a warning)")
      ->check(CLI::IsMember({"error", "all"}))
      ->capture_default_str();
  return [cli] { return RunAffected(*cli); };
}

}  // namespace fanout
