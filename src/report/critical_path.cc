#include "report/critical_path.h"

#include <set>

namespace fanout {

namespace {

/// Whether the run `a` (named `an`) finished after `b` (named `bn`); ties go to the smaller name.
bool Later(const RunSpan& a, const std::string& an, const RunSpan& b, const std::string& bn) {
  if (a.finish != b.finish) return a.finish > b.finish;
  return an < bn;
}

/// The dependencies of `name` that ran, looking through those that did not.
std::set<std::string> RanDeps(const std::string& name, const std::map<std::string, RunSpan>& ran,
                              const std::map<std::string, std::vector<std::string>>& deps) {
  std::set<std::string> out, seen;
  std::vector<std::string> todo;
  if (auto it = deps.find(name); it != deps.end()) todo = it->second;
  while (!todo.empty()) {
    std::string d = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(d).second) continue;
    if (ran.count(d)) {
      out.insert(d);
      continue;
    }
    if (auto it = deps.find(d); it != deps.end()) {
      todo.insert(todo.end(), it->second.begin(), it->second.end());
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> CriticalPath(const std::map<std::string, RunSpan>& ran,
                                      const std::map<std::string, std::vector<std::string>>& deps) {
  if (ran.empty()) return {};
  auto last = ran.begin();
  for (auto it = ran.begin(); it != ran.end(); ++it) {
    if (Later(it->second, it->first, last->second, last->first)) last = it;
  }
  std::vector<std::string> path{last->first};
  std::set<std::string> on_path{last->first};
  for (;;) {
    const std::set<std::string> candidates = RanDeps(path.back(), ran, deps);
    const std::string* next = nullptr;
    for (const std::string& d : candidates) {
      if (!next || Later(ran.at(d), d, ran.at(*next), *next)) next = &d;
    }
    // The plan is acyclic; the check only keeps a corrupt one from looping forever.
    if (!next || !on_path.insert(*next).second) break;
    path.push_back(*next);
  }
  return {path.rbegin(), path.rend()};
}

}  // namespace fanout
