#include "generator/make_generator.h"

#include <map>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "generator/build_graph.h"
#include "generator/ninja_writer.h"

namespace fanout {

namespace {

constexpr std::size_t kWidth = 100;

bool IsMakeSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '/' || c == '+' || c == ',' || c == '@' || c == '-';
}

// Make splits file names at spaces, reads ':' '=' ';' as rule syntax, '#' as a comment, '%' as
// a pattern, '*?[' as globs, '(' as an archive member and a leading '~' as a home directory.
// Rather than half-escape those (escaping differs between targets, prerequisites and
// functions), a path with any of them is not written (see kMakeDescriptionLink).
bool IsMakeSafePath(const std::string& path) {
  if (path.empty()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!IsMakeSafe(path[i]) && !(path[i] == '~' && i > 0)) return false;
  }
  return true;
}

// Text for a recipe line: `$` -> `$$`; a newline would end the recipe.
Expected<std::string> EscapeRecipe(const std::string& text) {
  if (text.find_first_of("\n\r") != std::string::npos || text.find('\0') != std::string::npos) {
    return MakeError(fmt::format(
        "cannot write '{}' in a Makefile recipe: it contains a newline, CR or NUL byte", text));
  }
  std::string out;
  for (char c : text) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

/// What is written where: a complete Makefile run in the build directory (no fragment), or a
/// fragment that another Makefile includes, run from that Makefile's directory.
struct MakeNames {
  const FragmentSpec* fragment = nullptr;

  /// A path of the build directory as the Makefile names it.
  std::string Path(const std::string& path) const { return fragment ? fragment->Path(path) : path; }
  /// A phony target of the file's own: `fanout-all`, `fanout-<target>` (`<prefix>-...` in a
  /// fragment).
  std::string Name(const std::string& name) const {
    return fragment ? fragment->Name(name) : "fanout-" + name;
  }
  /// The target that makes a rule run on every invocation; it cannot clash with Name(), since
  /// a target name begins with a letter or digit.
  std::string Force() const { return fragment ? fragment->name_prefix + "--force" : "FORCE"; }
  /// The variable holding the fanout binary.
  std::string BinaryVariable() const {
    return fragment ? fragment->name_prefix + "_fanout" : "FANOUT";
  }

  /// `$(FANOUT) ARGS...` as a recipe line; in a fragment, after entering the build directory.
  Expected<std::string> Recipe(const std::vector<std::string>& args) const {
    Expected<std::string> escaped = EscapeRecipe(ShellJoin(args));
    if (!escaped) return escaped.error();
    std::string line = "\t";
    if (fragment && !fragment->path_prefix.empty()) {
      std::string dir = fragment->path_prefix;
      dir.pop_back();
      line += "cd " + dir + " && ";  // Make-safe, so shell-safe (checked by the generator)
    }
    return line + "$(" + BinaryVariable() + ") " + *escaped + "\n";
  }
};

// `TARGET: PREREQS...` wrapped with backslash continuations; `tail` (" ;" for an empty recipe)
// ends the line. Paths are safe to write bare: target names were checked by MakeBuildGraph and
// the description path by IsMakeSafePath.
std::string RuleLine(const std::string& target, const std::vector<std::string>& prereqs,
                     const std::string& tail = "") {
  std::string out = target + ":";
  std::size_t line_len = out.size();
  for (const std::string& p : prereqs) {
    if (line_len + 1 + p.size() + 2 > kWidth && line_len > target.size() + 1) {
      out += " \\\n  ";
      line_len = 2;
    } else {
      out += ' ';
      ++line_len;
    }
    out += p;
    line_len += p.size();
  }
  return out + tail + "\n";
}

// `path` relative to the directory `base` when both are absolute, else `path`.
std::string RelativeTo(const std::string& path, const std::string& base) {
  if (path.empty() || base.empty() || path[0] != '/' || base[0] != '/') return path;
  auto split = [](const std::string& p) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= p.size()) {
      std::size_t end = p.find('/', start);
      if (end == std::string::npos) end = p.size();
      std::string part = p.substr(start, end - start);
      if (!part.empty() && part != ".") parts.push_back(part);
      start = end + 1;
    }
    return parts;
  };
  std::vector<std::string> p = split(path), b = split(base);
  std::size_t common = 0;
  while (common < p.size() && common < b.size() && p[common] == b[common]) ++common;
  std::string out;
  for (std::size_t i = common; i < b.size(); ++i) out += "../";
  for (std::size_t i = common; i < p.size(); ++i) out += p[i] + (i + 1 < p.size() ? "/" : "");
  return out;
}

// The pools targets use, with their depths (`console` has depth 1).
std::map<std::string, int> UsedPools(const BuildGraph& graph) {
  std::map<std::string, int> used;
  for (const GraphTarget& t : graph.targets) {
    if (!t.pool.empty()) used[t.pool] = t.pool == "console" ? 1 : graph.pools.at(t.pool);
  }
  return used;
}

std::string HeaderComment(const BuildGraph& graph, const MakeNames& names,
                          const std::map<std::string, int>& used) {
  std::string out =
      fmt::format("# Generated by fanout from {}; do not edit.\n", graph.description_name);
  if (names.fragment) {
    out += fmt::format(
        "# A fragment for another Makefile: `include {}` in it, then `make -j N {}`.\n"
        "# Make remakes this file when the description changes, and starts again.\n",
        names.Path(kMakeFragment), names.Name("all"));
  } else {
    out +=
        fmt::format("# Run: make -C BUILD -f {} -j N  (default goal: fanout-all)\n", kMakefileName);
  }
  out += fmt::format("# {} builds one target and what it depends on.\n", names.Name("<target>"));
  if (graph.post_submit) {
    out += fmt::format("# {} runs the post-submit step after the gather (not in {}).\n",
                       names.Name("post_submit"), names.Name("all"));
  }
  out += "#\n";
  if (used.empty()) {
    out += "# No target uses a pool; -j N is the only limit on concurrent targets.\n";
  } else {
    out +=
        "# Make has no pools: each pooled target's `fanout exec --pool-slots` waits for a slot\n"
        "# (a lock file under .fanout/pools/), so no more of a pool run at once than its depth:\n";
    for (const auto& [name, depth] : used)
      out += fmt::format("#   pool {} (depth {})\n", name, depth);
  }
  out +=
      "#\n"
      "# The snapshot runs on every invocation and rewrites only the input stamps that\n"
      "# changed, so targets whose inputs did not change are not rebuilt.\n";
  return out;
}

}  // namespace

Expected<std::string> GenerateMakefile(const Plan& plan, const FragmentSpec* fragment) {
  Expected<BuildGraph> graph_or = MakeBuildGraph(plan);
  if (!graph_or) return graph_or.error();
  const BuildGraph& graph = *graph_or;
  const MakeNames names{fragment};
  if (fragment && !fragment->path_prefix.empty() && !IsMakeSafePath(fragment->path_prefix)) {
    return MakeError(fmt::format(
        "the build directory '{}', as '{}' names it, cannot be written in a Makefile: only "
        "letters, digits and '._/+,@-' can; choose a build directory (-B) or a --parent whose "
        "relative path has none of the others (spaces, ':', '#', '$', '%' ...)",
        plan.build_dir, fragment->parent_dir));
  }

  std::map<std::string, int> used_pools = UsedPools(graph);

  Expected<std::string> binary = EscapeRecipe(ShellQuote(graph.fanout_binary));
  if (!binary) return binary.error();
  std::string fanout_var;
  for (char c : *binary) {
    if (c == '#') fanout_var += '\\';  // '#' would start a comment in an assignment
    fanout_var += c;
  }

  std::string out = HeaderComment(graph, names, used_pools);
  out += '\n';
  out += names.BinaryVariable() + " := " + fanout_var + "\n\n";
  // A fragment leaves the default goal and the suffix rules to the Makefile that includes it.
  if (!fragment) out += ".DEFAULT_GOAL := fanout-all\n.SUFFIXES:\n";
  std::vector<std::string> phony = {names.Name("all")};
  for (const GraphTarget& t : graph.targets) phony.push_back(names.Name(t.name));
  if (graph.post_submit) phony.push_back(names.Name("post_submit"));
  phony.push_back(names.Force());
  out += RuleLine(".PHONY", phony);
  // `out += '\n'` then the rest, never `"\n" + ...`: GCC 12 at -O3 reports a -Wrestrict false
  // positive on operator+(const char*, std::string&&) (GCC bug 105329).
  out += '\n';
  out += RuleLine(names.Name("all"), {names.Path(layout::kManifest)});

  if (!plan.description_path.empty()) {
    std::string description =
        RelativeTo(plan.description_path, fragment ? fragment->parent_dir : plan.build_dir);
    if (!IsMakeSafePath(description)) description = names.Path(kMakeDescriptionLink);
    std::vector<std::string> args = {"gen"};
    args.insert(args.end(), graph.gen_args.begin(), graph.gen_args.end());
    args.push_back("--regenerate");
    Expected<std::string> recipe = names.Recipe(args);
    if (!recipe) return recipe.error();
    out += '\n';
    out += RuleLine(names.Path(fragment ? kMakeFragment : kMakefileName), {description}) + *recipe;
  }

  out += '\n';
  out += RuleLine(names.Path(layout::kSnapshotStamp), {names.Force()}) +
         *names.Recipe({"snapshot", "-B", "."});
  for (const GraphTarget& t : graph.targets) {
    out +=
        RuleLine(names.Path(layout::StampPath(t.name)), {names.Path(layout::kSnapshotStamp)}, " ;");
  }
  if (!graph.targets.empty()) {
    out += RuleLine(names.Path(layout::kSource), {names.Path(layout::kSnapshotStamp)}, " ;");
  }

  std::vector<std::string> results;
  for (const GraphTarget& t : graph.targets) {
    std::vector<std::string> prereqs = {names.Path(layout::StampPath(t.name))};
    for (const std::string& dep : t.deps) prereqs.push_back(names.Path(layout::ResultPath(dep)));
    std::vector<std::string> exec = {"exec", "-B", "."};
    if (!t.pool.empty()) exec.push_back("--pool-slots");
    exec.push_back(t.name);
    Expected<std::string> recipe = names.Recipe(exec);
    if (!recipe) return recipe.error();
    out += '\n';
    out += RuleLine(names.Path(layout::ResultPath(t.name)), prereqs) + *recipe;
    results.push_back(names.Path(layout::ResultPath(t.name)));
  }

  // The manifest also lists the plan's skipped targets and the source (see the Ninja generator).
  results.push_back(names.Path(layout::kPlan));
  if (!graph.targets.empty()) results.push_back(names.Path(layout::kSource));
  out += '\n';
  out += RuleLine(names.Path(layout::kManifest), results) + *names.Recipe({"gather", "-B", "."});
  if (graph.post_submit) {
    out += '\n';
    out += RuleLine(names.Path(layout::kPostSubmitStamp), {names.Path(layout::kManifest)}) +
           *names.Recipe({"gather", "-B", ".", "--post-submit"});
    out += RuleLine(names.Name("post_submit"), {names.Path(layout::kPostSubmitStamp)});
  }

  if (!graph.targets.empty()) out += "\n";
  for (const GraphTarget& t : graph.targets) {
    out += RuleLine(names.Name(t.name), {names.Path(layout::ResultPath(t.name))});
  }
  out += '\n';
  out += names.Force() + ":\n";
  return out;
}

}  // namespace fanout
