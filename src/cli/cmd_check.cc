// `fanout check`, `fanout list` (and `list --inputs T`) and `fanout graph`: the description,
// validated and shown.
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/exit_codes.h"
#include "base/file_util.h"
#include "base/json_writer.h"
#include "cli/cli.h"
#include "cli/input_check.h"
#include "cli/locate_description.h"
#include "description/loader.h"
#include "description/suggest_inputs.h"
#include "description/warnings.h"
#include "git/description_source.h"
#include "git/git.h"
#include "git/index_files.h"
#include "git/repo_check.h"
#include "git/source.h"
#include "git/tree_reader.h"
#include "plan/plan.h"
#include "plan/target_fields.h"
#include "snapshot/inputs.h"

namespace fanout {

namespace {

/// Loads the description or prints every error; the returned error (its exit code) has been
/// reported. With --repo naming a bare repository, the description is the one committed at
/// HEAD; a --repo that is no repository is exit 3. `source`, when given, receives the text
/// that was loaded (for rendering warnings).
Expected<Description> LoadOrReport(const CommonOptions& opts, std::string* source = nullptr) {
  LoadResult r;
  bool loaded = false;
  if (!opts.repo.empty()) {
    auto repo = OpenRepoOption(opts.repo);
    if (!repo.ok()) {
      fmt::print(stderr, "fanout: error: {}\n", repo.error().message);
      return repo.error();
    }
    if (repo->is_bare()) {
      auto rel = DescriptionRelPath(*repo, opts.file);
      auto head =
          rel.ok() ? ResolveSource(*repo, "HEAD", "--source") : Expected<SourceState>(rel.error());
      auto at = head.ok() ? LoadDescriptionAtRevision(*repo, *head, *rel, opts.file)
                          : Expected<LoadResult>(head.error());
      if (!at.ok()) {
        fmt::print(stderr, "fanout: error: {}\n", at.error().message);
        return MakeError("", kExitUsage);
      }
      r = std::move(*at);
      loaded = true;
    }
  }
  if (!loaded) r = LoadDescriptionFile(opts.file);
  if (!r.description) {
    fmt::print(stderr, "{}", r.FormatErrors());
    return MakeError("", kExitUsage);
  }
  if (source) *source = std::move(r.source);
  return std::move(*r.description);
}

/// `--suggest-inputs`: the `inputs_from` each target could have, on stdout.
void PrintSuggestions(const CommonOptions& opts, const Description& desc) {
  std::string root;
  if (auto repo = OpenDescriptionRepo(opts); repo.ok() && !repo->is_bare()) root = repo->workdir();
  const IsFile is_file = [&root](const std::string& path) {
    struct stat st;
    return !root.empty() && stat((root + path).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  };
  const std::vector<InputSuggestion> suggestions = SuggestInputsFrom(desc, is_file);
  for (const InputSuggestion& s : suggestions) {
    fmt::print(
        "{}:{}:{}: suggestion: target '{}' can derive its inputs from what it builds ({}):\n"
        "    inputs_from: {}\n",
        opts.file, s.mark.line, s.mark.column, s.target, s.why, s.inputs_from);
  }
  if (suggestions.empty()) {
    fmt::print(
        "{}: no suggestions: no target without 'inputs_from' builds a Dockerfile or runs "
        "a Python program that fanout can see in its command\n",
        opts.file);
  } else {
    fmt::print(
        "check each with 'fanout list --inputs TARGET' after adding it; the written "
        "'inputs' then need to list only what the derivation cannot see (docs/format.md, "
        "\"inputs_from\")\n");
  }
}

int RunCheck(const CommonOptions& opts, bool strict, bool suggest) {
  std::string source;
  auto desc = LoadOrReport(opts, &source);
  if (!desc.ok()) return desc.error().exit_code;
  // Warnings do not fail the check: the description is valid, and may mean it.
  for (const Diagnostic& d : HostRootSocketWarnings(*desc, opts.file)) {
    fmt::print(stderr, "{}", FormatDiagnostic(d, source));
  }
  // The inputs against the work tree (a bare repository's HEAD); a description outside any
  // repository has no files to check them against.
  if (auto repo = OpenDescriptionRepo(opts); repo.ok()) {
    std::optional<SourceState> head;
    if (repo->is_bare()) {
      if (auto resolved = ResolveSource(*repo, "HEAD", "--source"); resolved.ok()) {
        head = std::move(*resolved);
      }
    }
    if ((!repo->is_bare() || head) &&
        !CheckInputPatterns(*repo, head, *desc, opts.file, source, strict)) {
      return kExitUsage;
    }
  }
  const std::size_t targets = desc->targets.size(), pools = desc->pools.size();
  fmt::print("{}: ok: {} target{}, {} pool{}\n", opts.file, targets, targets == 1 ? "" : "s", pools,
             pools == 1 ? "" : "s");
  if (suggest) PrintSuggestions(opts, *desc);
  return kExitSuccess;
}

int RunList(const CommonOptions& opts, bool json_out) {
  auto desc = LoadOrReport(opts);
  if (!desc.ok()) return desc.error().exit_code;
  if (json_out) {
    // Each target as plan.json holds it (plan/target_fields.h), with its tier and definition
    // digest, so scripts read one format.
    const std::map<std::string, int> pools = desc->pools;
    const Plan plan = MakePlan(std::move(*desc));
    std::string out;
    JsonWriter w(&out, 2);
    w.BeginObject();
    w.Key("pools");
    w.BeginObject();
    for (const auto& [name, depth] : pools) {
      w.Key(name);
      w.Int(depth);
    }
    w.EndObject();
    w.Key("targets");
    w.BeginArray();
    for (const PlanTarget& t : plan.targets) WriteTargetJson(t, w);
    w.EndArray();
    w.EndObject();
    fmt::print("{}\n", out);
    return kExitSuccess;
  }
  size_t width = 6;
  for (const Target& t : desc->targets) width = std::max(width, t.name.size());
  fmt::print("{:<{}}  {:<10}  {}\n", "TARGET", width, "POOL", "DEPS");
  for (const Target& t : desc->targets) {
    fmt::print("{:<{}}  {:<10}  {}\n", t.name, width, t.pool.empty() ? "-" : t.pool,
               t.deps.empty() ? "-" : fmt::format("{}", fmt::join(t.deps, ", ")));
  }
  if (!desc->pools.empty()) {
    fmt::print("\npools:");
    for (const auto& [name, depth] : desc->pools) fmt::print(" {}={}", name, depth);
    fmt::print("\n");
  }
  return kExitSuccess;
}

/// `fanout list --inputs T`: each file of the source that is an input of T, with the pattern
/// that selects it and, for a derived one, its rule. The source is the work tree's tracked
/// files, or a bare repository's HEAD.
int RunListInputs(const CommonOptions& opts, const std::string& name) {
  auto desc = LoadOrReport(opts);
  if (!desc.ok()) return desc.error().exit_code;
  const Target* t = desc->FindTarget(name);
  if (!t) {
    fmt::print(stderr, "fanout list: error: no target '{}' in {}; 'fanout list' shows them\n", name,
               opts.file);
    return kExitUsage;
  }
  auto repo = OpenDescriptionRepo(opts);
  if (!repo.ok()) {
    fmt::print(stderr, "fanout list: error: {}\n", repo.error().message);
    return repo.error().exit_code;
  }
  std::vector<TreeFile> files;
  TreeFileReader read;
  std::optional<SourceState> head;
  if (repo->is_bare()) {
    auto resolved = ResolveSource(*repo, "HEAD", "--source");
    if (!resolved.ok()) {
      fmt::print(stderr, "fanout list: error: {}\n", resolved.error().message);
      return resolved.error().exit_code;
    }
    head = std::move(*resolved);
    const git_oid tree = SourceTree(*head);
    if (Status st = repo->WalkTree(tree, "", [&](const TreeFile& f) { files.push_back(f); });
        !st.ok()) {
      fmt::print(stderr, "fanout list: error: {}\n", st.error().message);
      return st.error().exit_code;
    }
    read = TreeReader(*repo, tree);
  } else {
    auto indexed = IndexFiles(*repo);
    if (!indexed.ok()) {
      fmt::print(stderr, "fanout list: error: {}\n", indexed.error().message);
      return indexed.error().exit_code;
    }
    files = std::move(*indexed);
    const std::string root = repo->workdir();
    read = TreeFileReader(
        [root](const std::string& path) -> Expected<std::optional<std::string>> {
          auto text = ReadFile(root + path);
          if (!text.ok()) return std::optional<std::string>();
          return std::optional<std::string>(std::move(*text));
        },
        // The files git knows, as the work tree holds them: no content id, so the Go
        // derivation hashes what it reads.
        [&files](const std::string& dir, const TreeFileReader::EachFile& each) -> Status {
          for (const TreeFile& f : files) {
            const bool under = dir.empty() || (f.path.size() > dir.size() &&
                                               f.path.compare(0, dir.size(), dir) == 0 &&
                                               f.path[dir.size()] == '/');
            if (under && (f.mode == GIT_FILEMODE_BLOB || f.mode == GIT_FILEMODE_BLOB_EXECUTABLE)) {
              each(f.path, "");
            }
          }
          return {};
        });
  }
  std::vector<std::string> scratch;
  static const std::vector<std::string> kWholeTree = {"**"};
  const std::vector<std::string>& patterns = t->checkout == Checkout::kFull
                                                 ? kWholeTree
                                                 : InputPatterns(*t, desc->global_inputs, &scratch);
  auto filter = PathFilter::Compile(patterns, read);
  if (!filter.ok()) {
    fmt::print(stderr, "fanout list: error: the inputs of '{}' do not compile: {}\n", name,
               filter.error().message);
    return kExitUsage;
  }
  std::sort(files.begin(), files.end(),
            [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
  for (const TreeFile& f : files) {
    if (!filter->Matches(f.path)) continue;
    const Glob* which = nullptr;
    for (const Glob& g : filter->includes()) {
      if (g.Matches(f.path)) {
        which = &g;
        break;
      }
    }
    if (!which) continue;
    fmt::print("{}\t{}{}\n", f.path, which->pattern(),
               which->origin().empty() ? "" : "\t" + which->origin());
  }
  return kExitSuccess;
}

std::string DotQuote(const std::string& s) { return "\"" + s + "\""; }

int RunGraph(const CommonOptions& opts, const std::string& format) {
  auto desc = LoadOrReport(opts);
  if (!desc.ok()) return desc.error().exit_code;
  // Edges point from a dependency to its dependent: the direction the build flows.
  if (format == "mermaid") {
    fmt::print("graph LR\n");
    for (const Target& t : desc->targets) {
      fmt::print("  {}[\"{}\"]\n", "n" + std::to_string(&t - desc->targets.data()), t.name);
    }
    for (const Target& t : desc->targets) {
      for (const std::string& d : t.deps) {
        const Target* dt = desc->FindTarget(d);
        fmt::print("  n{} --> n{}\n", dt - desc->targets.data(), &t - desc->targets.data());
      }
    }
    return kExitSuccess;
  }
  fmt::print("digraph fanout {{\n  rankdir=LR;\n");
  for (const Target& t : desc->targets) {
    fmt::print("  {}{};\n", DotQuote(t.name),
               t.pool.empty() ? "" : fmt::format(" [tooltip={}]", DotQuote("pool " + t.pool)));
  }
  for (const Target& t : desc->targets) {
    for (const std::string& d : t.deps) fmt::print("  {} -> {};\n", DotQuote(d), DotQuote(t.name));
  }
  fmt::print("}}\n");
  return kExitSuccess;
}

}  // namespace

CommandFn SetupCheck(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  auto strict = std::make_shared<bool>(false);
  AddDescriptionOptions(app, opts.get());
  auto suggest = std::make_shared<bool>(false);
  app->add_flag("--strict", *strict, "make an input pattern that matches no file an error");
  app->add_flag("--suggest-inputs", *suggest,
                "propose 'inputs_from' for each target that builds a Dockerfile or runs a Python "
                "program");
  return [opts, strict, suggest] { return RunCheck(*opts, *strict, *suggest); };
}

CommandFn SetupList(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  auto json_out = std::make_shared<bool>(false);
  auto inputs = std::make_shared<std::string>();
  AddDescriptionOptions(app, opts.get());
  app->add_flag("--json", *json_out, "machine-readable output");
  app->add_option("--inputs", *inputs,
                  "list the files that are TARGET's inputs, each with the pattern (and, for a "
                  "derived one, the rule) that selects it")
      ->type_name("TARGET");
  return [opts, json_out, inputs] {
    return inputs->empty() ? RunList(*opts, *json_out) : RunListInputs(*opts, *inputs);
  };
}

CommandFn SetupGraph(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  auto format = std::make_shared<std::string>("dot");
  AddDescriptionOptions(app, opts.get());
  app->add_option("--format", *format, "dot or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}))
      ->capture_default_str();
  return [opts, format] { return RunGraph(*opts, *format); };
}

}  // namespace fanout
