// Matching one path against many path filters at once (every target's inputs), fast enough for
// thousands of targets: each filter is indexed by the literal directory its include patterns
// lie under, so a path is only tested against the filters whose patterns can reach it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "src/expected.h"
#include "src/glob.h"

namespace fanout {

/// A set of compiled PathFilters, numbered in the order given, with a prefix index.
class FilterIndex {
 public:
  /// One filter that matched a path, and the include pattern that matched it.
  struct Match {
    std::size_t filter;   ///< index into the lists passed to Compile
    const Glob* pattern;  ///< an include of that filter matching the path
  };

  /// Compiles one filter per pattern list (same syntax as PathFilter::Compile). On error the
  /// message starts with "LIST:INDEX:COL:" (which list, then as PathFilter reports it).
  static Expected<FilterIndex> Compile(const std::vector<std::vector<std::string>>& lists);

  /// Every filter that matches `path`, in increasing filter order, appended to `*out`.
  /// Exactly the filters whose PathFilter::Matches(path) is true.
  void MatchAll(std::string_view path, std::vector<Match>* out) const;

  /// The filter numbered `i`.
  const PathFilter& filter(std::size_t i) const { return filters_[i]; }
  std::size_t size() const { return filters_.size(); }

 private:
  std::vector<PathFilter> filters_;
  /// A directory or path key -> filters with an include pattern that can only match that path
  /// or paths under it.
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_key_;
  /// Filters with an include pattern that can match anywhere (it starts with a wildcard).
  std::vector<std::uint32_t> anywhere_;
};

}  // namespace fanout
