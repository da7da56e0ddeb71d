#include "snapshot/inputs.h"

#include <algorithm>

#include "base/sort_by_name.h"

namespace fanout {

const std::vector<std::string>& InputPatterns(const Target& t,
                                              const std::vector<std::string>& global_inputs,
                                              std::vector<std::string>* scratch) {
  if (global_inputs.empty()) return t.inputs;
  *scratch = t.inputs;
  scratch->insert(scratch->end(), global_inputs.begin(), global_inputs.end());
  return *scratch;
}

void AddInputPrefixes(const Target& t, const PathFilter& filter,
                      std::vector<std::string>* prefixes) {
  for (const Glob& g : filter.includes()) prefixes->push_back(g.walk_root());
  if (t.checkout == Checkout::kFull) prefixes->push_back("");
}

void SortUnique(std::vector<std::string>* v) {
  // Plans list targets by name, so prefixes usually come sorted already.
  if (!std::is_sorted(v->begin(), v->end())) std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

CompiledInputs CompileInputs(const std::vector<Target>& targets,
                             const std::vector<std::string>& global_inputs,
                             const TreeFileReader& read) {
  CompiledInputs out;
  out.targets.reserve(targets.size());
  std::vector<std::string> scratch;
  for (const Target& t : targets) {
    auto filter = PathFilter::Compile(InputPatterns(t, global_inputs, &scratch), read);
    if (!filter.ok()) {
      out.prefixes.push_back("");  // validation reports the pattern; meanwhile, list everything
      continue;
    }
    AddInputPrefixes(t, *filter, &out.prefixes);
    out.targets.push_back({t.name, std::move(*filter)});
  }
  SortByName(out.targets);
  SortUnique(&out.prefixes);
  return out;
}

const PathFilter* CompiledInputs::Find(std::string_view name) const {
  auto it = std::lower_bound(targets.begin(), targets.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  return it != targets.end() && it->name == name ? &it->filter : nullptr;
}

Expected<std::vector<TreeFile>> ListTreeUnder(const Repository& repo, const git_oid& tree,
                                              const std::vector<std::string>& prefixes) {
  std::vector<TreeFile> files;
  FANOUT_TRY(repo.WalkTreeUnder(tree, prefixes, [&](const TreeFile& f) { files.push_back(f); }));
  // The walk is depth-first in git's tree order, which is the byte order of the full paths
  // (a directory sorts as its name plus '/'), so this sort is a check.
  auto by_path = [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; };
  if (!std::is_sorted(files.begin(), files.end(), by_path)) {
    std::sort(files.begin(), files.end(), by_path);
  }
  return files;
}

}  // namespace fanout
