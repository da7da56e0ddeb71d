// Matching one path against many path filters at once (every target's inputs), fast enough for
// thousands of targets: each filter is indexed by the literal directory its include patterns
// lie under, so a path is only tested against the filters whose patterns can reach it, and a
// filter is compiled only when a path first reaches it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "base/glob.h"

namespace fanout {

/// A set of PathFilters, numbered in the order given, with a prefix index. Not thread-safe
/// (filters are compiled on first use).
class FilterIndex {
 public:
  /// One filter that matched a path, and the include pattern that matched it.
  struct Match {
    std::size_t filter;   ///< index into the lists passed to the constructor
    const Glob* pattern;  ///< an include of that filter matching the path
  };

  /// Indexes one filter per pattern list (the syntax of PathFilter::Compile, which gets
  /// `read`). The lists are not copied: they must outlive the index.
  explicit FilterIndex(std::vector<const std::vector<std::string>*> lists,
                       TreeFileReader read = nullptr);

  /// Appends to `*out`, in increasing filter order, exactly the filters whose
  /// PathFilter::Matches(path) is true. An error names the list ("LIST:INDEX:COL: ...") of a
  /// pattern that does not compile.
  Status MatchAll(std::string_view path, std::vector<Match>* out);

  std::size_t size() const { return lists_.size(); }

  /// The directory or path every match of `pattern` (an include, without '!') is equal to or
  /// lies under; empty when it can match anywhere. Computed from the text alone.
  static std::string PruneKey(std::string_view pattern);

 private:
  std::vector<const std::vector<std::string>*> lists_;
  TreeFileReader read_;
  std::vector<std::optional<PathFilter>> compiled_;
  /// (directory or path key, filter) for each include pattern that can only match that path
  /// or paths under it, sorted; the keys point into the patterns.
  std::vector<std::pair<std::string_view, std::uint32_t>> by_key_;
  /// Filters with an include pattern that can match anywhere (it starts with a wildcard).
  std::vector<std::uint32_t> anywhere_;
  std::vector<std::uint32_t> candidates_;  ///< scratch
};

}  // namespace fanout
