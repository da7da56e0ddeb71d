#include "cli/cmd_gen.h"

#include <sys/stat.h>

#include <cerrno>
#include <climits>

#include <unistd.h>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "affected/selection.h"
#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "cli/build_dir.h"
#include "cli/input_check.h"
#include "cli/locate_description.h"
#include "description/loader.h"
#include "description/warnings.h"
#include "generator/bake_generator.h"
#include "generator/fragment.h"
#include "generator/make_generator.h"
#include "generator/ninja_generator.h"
#include "generator/ninja_writer.h"
#include "git/description_source.h"
#include "git/git.h"
#include "git/source.h"
#include "git/tree_reader.h"
#include "plan/plan_index.h"
#include "sandbox/weaken.h"
#include "snapshot/background_snapshot.h"

namespace fanout {

namespace fs = boost::filesystem;

namespace {

/// The modification time of `path`, or nullopt when it cannot be read.
std::optional<timespec> ModifiedTime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim;
}

/// Whether a file in `paths` is missing or modified at or after `when`.
bool AnyModifiedSince(const std::vector<std::string>& paths, const timespec& when) {
  for (const std::string& p : paths) {
    const std::optional<timespec> t = ModifiedTime(p);
    if (!t || t->tv_sec > when.tv_sec || (t->tv_sec == when.tv_sec && t->tv_nsec >= when.tv_nsec)) {
      return true;
    }
  }
  return false;
}

int Fail(const Error& e) {
  fmt::print(stderr, "fanout: error: {}\n", e.message);
  return e.exit_code;
}

std::string SelfPath() {
  std::error_code ec;
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "fanout";
  return std::string(buf, static_cast<size_t>(n));
}

/// An absolute, normalized path (the file itself need not exist).
std::string Absolute(const std::string& p) {
  boost::system::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal().string() : abs.string();
}

/// Points the symbolic link `link` at `target` (kMakeDescriptionLink), through a temporary
/// name and a rename, so that a Makefile never sees it missing or half-made.
Status WriteDescriptionLink(const std::string& link, const std::string& target) {
  char existing[PATH_MAX];
  const ssize_t n = readlink(link.c_str(), existing, sizeof existing - 1);
  if (n > 0 && std::string(existing, static_cast<size_t>(n)) == target) return {};
  const std::string temporary = link + ".tmp";
  unlink(temporary.c_str());
  if (symlink(target.c_str(), temporary.c_str()) != 0 ||
      rename(temporary.c_str(), link.c_str()) != 0) {
    const int err = errno;
    unlink(temporary.c_str());
    return WriteError(link, err);
  }
  return {};
}

}  // namespace

void AddGenOptions(CLI::App* app, GenOptions* opts) {
  AddDescriptionOptions(app, &opts->common);
  AddBuildDirOption(app, &opts->common);
  app->add_option("--source", opts->source, "what is built: a revision, or the work tree")
      ->capture_default_str();
  app->add_option("--base", opts->base, "build only the targets affected since this revision");
  app->add_flag("--direct", opts->direct, "with --base: compare base with head (two-dot)");
  app->add_option("--on-missing-base", opts->on_missing_base,
                  "when the base commit is missing: error, or build all")
      ->check(CLI::IsMember({"error", "all"}));
  app->add_option("--format", opts->format, "ninja, make, or bake (docker-bake.json)")
      ->check(CLI::IsMember({"ninja", "make", "bake"}))
      ->capture_default_str();
  app->add_flag("--require-sandbox", opts->require_sandbox,
                "fail a target instead of running it below the namespaces sandbox tier");
  app->add_flag("--no-wait", opts->no_wait,
                "when another fanout build or gen uses the build directory, fail (exit 2) "
                "instead of waiting for it");
  app->add_flag("--strict", opts->strict, "make an input pattern that matches no file an error");
  app->add_flag("--regenerate", opts->regenerate, "(run by Ninja's regeneration edge)")->group("");
}

int RunGen(const GenOptions& opts, Plan* plan_out, BuildDirLock* lock_out) {
  const std::string desc_path = Absolute(opts.common.file);

  auto repo = OpenDescriptionRepo(opts.common);
  if (!repo.ok()) return Fail(repo.error());

  // The source is resolved once, here: a bad --source is a git error now (exit 3), not a
  // failed snapshot edge later. A work tree can change before the build runs, so its snapshot
  // is left to the snapshot edge.
  std::optional<SourceState> revision;
  if (opts.source != "worktree") {
    auto resolved = ResolveSource(*repo, opts.source, "--source");
    if (!resolved.ok()) return Fail(resolved.error());
    revision = std::move(*resolved);
  } else if (Status st = RequireWorkTree(*repo, "--source"); !st.ok()) {
    return Fail(st.error());
  }
  // A bare repository has no work tree: the description is the one committed at --source.
  LoadResult loaded;
  const bool committed_description = repo->is_bare();
  if (committed_description) {
    auto rel = DescriptionRelPath(*repo, opts.common.file);
    if (!rel.ok()) return Fail(rel.error());
    auto at = LoadDescriptionAtRevision(*repo, *revision, *rel, opts.common.file);
    if (!at.ok()) return Fail(at.error());
    loaded = std::move(*at);
  } else {
    loaded = LoadDescriptionFile(opts.common.file);
  }
  if (!loaded.description) {
    fmt::print(stderr, "{}", loaded.FormatErrors());
    return kExitUsage;
  }
  const Description& desc = *loaded.description;
  const std::string& shown_file = opts.common.file;
  const std::string shown_build_dir =
      ChooseBuildDir(opts.common.build_dir, desc.build_dir, repo->workdir());
  const std::string build_dir = Absolute(shown_build_dir);
  // Before anything is written to the build directory.
  if (Status st = CheckBuildDirSafe(*repo, build_dir, shown_build_dir); !st.ok()) {
    return Fail(st.error());
  }
  // Before the lock, which lives in it: whether the directory is fanout's is judged on what it
  // holds before fanout adds anything (its `.gitignore` is written atomically, and only once).
  if (Status st = PrepareBuildDir(build_dir); !st.ok()) return Fail(st.error());
  // Ninja's regeneration edge under `fanout build` runs while that build holds the lock.
  const char* held = std::getenv(kHeldBuildDirVariable);
  BuildDirLock lock;
  if (!(opts.regenerate && held && build_dir == held) && !sandbox::Weakened("build-lock")) {
    auto acquired = BuildDirLock::Acquire(build_dir, lock_out ? "build" : "gen", !opts.no_wait);
    if (!acquired.ok()) return Fail(acquired.error());
    lock = std::move(*acquired);
  }
  for (const Diagnostic& d : TmpPassEnvWarnings(desc, shown_file, [](const std::string& name) {
         const char* v = std::getenv(name.c_str());
         return v ? std::optional<std::string>(v) : std::nullopt;
       })) {
    fmt::print(stderr, "{}", FormatDiagnostic(d, loaded.source));
  }
  if (!CheckInputPatterns(*repo, revision, desc, shown_file, loaded.source, opts.strict)) {
    return kExitUsage;
  }

  const std::string repo_root = repo->root();

  // A revision's tree cannot change under us: its snapshot is taken now, alongside the rest
  // (see BackgroundSnapshot). A work tree can change before the build runs, so its snapshot is
  // left to the snapshot edge.
  Plan plan;  // outlives the snapshot, which reads it
  std::optional<BackgroundSnapshot> snapshot;
  if (revision) {
    snapshot.emplace(
        repo_root, build_dir, *revision,
        CompileInputs(desc.targets, desc.global_inputs, TreeReader(*repo, SourceTree(*revision))));
  }

  SelectionRequest request;
  request.base = opts.base;
  request.head = opts.source;
  request.head_state = revision;
  request.direct = opts.direct;
  request.on_missing_base_all = opts.on_missing_base == "all";
  request.description_path = desc_path;
  request.build_dir = build_dir;
  auto selection = SelectTargets(*repo, desc, request);
  if (!selection.ok()) return Fail(selection.error());

  plan = MakePlan(std::move(*loaded.description),
                  selection->selected ? &*selection->selected : nullptr);
  plan.repo_root = repo_root;
  plan.description_path = desc_path;
  plan.build_dir = build_dir;
  plan.fanout_binary = SelfPath();
  plan.source = opts.source;
  plan.base = opts.base;
  plan.direct = opts.direct;
  plan.gen_args = {"-f",       committed_description ? opts.common.file : desc_path,
                   "-B",       build_dir,
                   "--repo",   repo_root,
                   "--source", opts.source,
                   "--format", opts.format};
  std::optional<FragmentSpec> fragment;
  if (!opts.fragment.empty()) {
    auto spec = MakeFragmentSpec(build_dir, Absolute(opts.parent), opts.prefix);
    if (!spec.ok()) return Fail(spec.error());
    fragment = std::move(*spec);
    plan.gen_args.insert(plan.gen_args.end(), {"--fragment", opts.fragment, "--parent",
                                               fragment->parent_dir, "--prefix", opts.prefix});
  }
  if (opts.require_sandbox) {
    plan.sandbox = SandboxRequirement::kRequired;
    plan.gen_args.push_back("--require-sandbox");
  }
  if (opts.strict) plan.gen_args.push_back("--strict");
  if (opts.base) {
    plan.gen_args.insert(plan.gen_args.end(),
                         {"--base", *opts.base, "--on-missing-base", opts.on_missing_base});
    if (opts.direct) plan.gen_args.push_back("--direct");
  }
  if (snapshot) snapshot->SetPlan(&plan);

  const std::string dir = build_dir + "/";
  PlanSlices slices;
  const std::string plan_text = PlanToJson(plan, &slices);
  Status st = WriteFileIfChanged(dir + layout::kPlan, plan_text);
  if (!st.ok()) return Fail(st.error());
  // After plan.json, which it names: an edge reads its target's slice through it.
  st = WritePlanIndex(build_dir, plan, slices);
  if (!st.ok()) return Fail(st.error());
  // Hashed here, where it is off the snapshot thread's longer path.
  if (snapshot) snapshot->SetPlanDigest(PlanDigest(plan_text));
  const FragmentSpec* spec = fragment ? &*fragment : nullptr;
  Expected<std::string> text = opts.format == "make" ? GenerateMakefile(plan, spec)
                               : opts.format == "bake"
                                   ? GenerateBake(plan, revision ? revision->commit : std::nullopt)
                                   : GenerateNinja(plan, spec);
  if (!text.ok()) return Fail(text.error());
  // The stamps before the build file and its regeneration stamp: were gen to stop in between,
  // the next `ninja` would run it again.
  if (snapshot) {
    st = snapshot->Finish();
    if (!st.ok()) return Fail(st.error());
  }

  if (opts.format == "make" || opts.format == "bake") {
    if (opts.format == "make") {
      st = WriteDescriptionLink(dir + kMakeDescriptionLink, desc_path);
      if (!st.ok()) return Fail(st.error());
    }
    st = WriteFileAtomically(dir + (opts.format == "bake" ? kBakeFileName
                                    : spec                ? kMakeFragment
                                                          : kMakefileName),
                             *text);
    if (!st.ok()) return Fail(st.error());
  } else {
    // When the regeneration stamp was last written, before this run rewrites it.
    const NinjaRegenFiles files = RegenFilesFor(spec);
    const std::optional<timespec> previous_stamp = ModifiedTime(dir + files.stamp);
    std::vector<std::string> read;
    // GN's order: build.ninja (always, so its mtime moves), the depfile, the stamp last.
    st = WriteFileAtomically(dir + files.build_file, *text);
    if (st.ok()) {
      // A committed description changes only with the refs; a missing depfile entry would keep
      // the regeneration edge dirty forever, so only what exists is listed.
      if (!committed_description) read.push_back(desc_path);
      for (const char* f : {"HEAD", "packed-refs", "refs/heads", "refs/tags"}) {
        std::string p = repo->gitdir() + f;
        if (committed_description && fs::exists(p)) read.push_back(p);
      }
      read.insert(read.end(), selection->files_read.begin(), selection->files_read.end());
      std::vector<std::string> left_out;
      st = WriteFileAtomically(dir + files.depfile, GenerateRegenDepfile(read, &left_out, spec));
      for (const std::string& f : left_out) {
        fmt::print(stderr,
                   "fanout: warning: '{}' cannot be named in a Ninja depfile; editing it will "
                   "not regenerate build.ninja (run 'fanout gen' by hand)\n",
                   f);
      }
    }
    if (st.ok()) st = WriteFileAtomically(dir + files.stamp, "");
    if (!st.ok()) return Fail(st.error());
    // Run by hand, the generator leaves .ninja_log with the old time of build.ninja; without
    // this, the next `ninja` would regenerate needlessly (ninja#1376). Ninja compares that
    // recorded time with the newest file the depfile lists, so the restat (which rewrites the
    // whole log: 15 ms at 10,000 targets) is needed only when one of them is newer than the
    // stamp this run replaced. Were the guess ever wrong (a file given an older time by hand),
    // the cost is one regeneration by the next `ninja`. A fragment's log is the including
    // build's, which is that build's to keep: it pays the one regeneration instead.
    if (!spec && !opts.regenerate && fs::exists(dir + ".ninja_log") &&
        (!previous_stamp || AnyModifiedSince(read, *previous_stamp))) {
      std::string cmd =
          fmt::format("ninja -C {} -t restat {} {} >/dev/null 2>&1", ShellQuote(build_dir),
                      layout::kBuildNinja, layout::kRegenStamp);
      if (std::system(cmd.c_str()) != 0) {
        // Harmless: the next ninja run just regenerates once more.
      }
    }
  }
  if (spec && !opts.regenerate) {
    const bool ninja = opts.format == "ninja";
    const std::string file = spec->Path(ninja ? kNinjaFragment : kMakeFragment);
    std::string lines = (ninja ? "  subninja " : "  include ") + file + "\n";
    if (ninja)
      lines += "  build build.ninja: phony " + file + "   (so that Ninja regenerates it)\n";
    fmt::print("fanout: wrote {}; add to the build in {}:\n{}then build {} or {}.\n", file,
               spec->parent_dir, lines, spec->Name("all"), spec->Name("<target>"));
  }
  if (plan_out) *plan_out = std::move(plan);
  if (lock_out) *lock_out = std::move(lock);
  return kExitSuccess;
}

CommandFn SetupGen(CLI::App* app) {
  auto opts = std::make_shared<GenOptions>();
  AddGenOptions(app, opts.get());
  CLI::Option* fragment =
      app->add_option("--fragment", opts->fragment,
                      "write BUILD/fragment.ninja for another build's subninja, or "
                      "BUILD/fragment.mk for another Makefile's include (docs/existing-builds.md)")
          ->check(CLI::IsMember({"ninja", "make"}));
  app->add_option("--parent", opts->parent,
                  "with --fragment: the directory the including build runs in")
      ->needs(fragment)
      ->capture_default_str();
  app->add_option("--prefix", opts->prefix,
                  "with --fragment: what its targets, rules, pools and variables begin with")
      ->needs(fragment)
      ->capture_default_str();
  CLI::Option* format = app->get_option("--format");
  return [opts, format] {
    if (!opts->fragment.empty()) {
      if (format->count() > 0 && opts->format != opts->fragment) {
        fmt::print(stderr, "fanout gen: error: --fragment {} writes {} itself; drop --format {}\n",
                   opts->fragment, opts->fragment, opts->format);
        return kExitUsage;
      }
      opts->format = opts->fragment;
    }
    return RunGen(*opts);
  };
}

}  // namespace fanout
