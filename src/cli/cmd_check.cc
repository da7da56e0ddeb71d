// `fanout check`, `fanout list` and `fanout graph`: the description, validated and shown.
#include <fmt/format.h>

#include "base/exit_codes.h"
#include "base/json_writer.h"
#include "cli/cli.h"
#include "cli/input_check.h"
#include "cli/locate_description.h"
#include "description/loader.h"
#include "description/warnings.h"
#include "git/description_source.h"
#include "git/git.h"
#include "git/repo_check.h"
#include "plan/plan.h"
#include "plan/target_fields.h"

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

int RunCheck(const CommonOptions& opts, bool strict) {
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
  app->add_flag("--strict", *strict, "make an input pattern that matches no file an error");
  return [opts, strict] { return RunCheck(*opts, *strict); };
}

CommandFn SetupList(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  auto json_out = std::make_shared<bool>(false);
  AddDescriptionOptions(app, opts.get());
  app->add_flag("--json", *json_out, "machine-readable output");
  return [opts, json_out] { return RunList(*opts, *json_out); };
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
