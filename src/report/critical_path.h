// The critical path of a build: the chain of dependencies that ends at the target that
// finished last. Starting there, each step goes to the dependency the current target waited
// for longest, the one that finished last; a dependency that did not run in this build (up to
// date, skipped) is looked through to its own dependencies. The chain ends at a target none of
// whose dependencies ran. docs/cli.md ("fanout trace") gives the same definition for users.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace fanout {

/// When one target ran.
struct RunSpan {
  double start = 0;
  double finish = 0;
};

/// The critical path, first target to last: `ran` holds the targets that ran (by name), `deps`
/// every target's direct dependencies (targets that did not run included, so they can be
/// looked through). Ties (equal finish times) go to the smaller name. Empty when nothing ran.
std::vector<std::string> CriticalPath(const std::map<std::string, RunSpan>& ran,
                                      const std::map<std::string, std::vector<std::string>>& deps);

}  // namespace fanout
