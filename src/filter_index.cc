#include "src/filter_index.h"

#include <algorithm>

#include <fmt/format.h>

namespace fanout {

namespace {

/// The path every match of `g` is equal to or lies under, or "" when it can match anywhere.
std::string PruneKey(const Glob& g) {
  if (g.is_literal()) {
    // A literal names a path: that path and everything under it ("pkg/" only the latter).
    std::string key = g.pattern();
    while (!key.empty() && key.back() == '/') key.pop_back();
    return key;
  }
  return g.literal_prefix();
}

}  // namespace

Expected<FilterIndex> FilterIndex::Compile(const std::vector<std::vector<std::string>>& lists) {
  FilterIndex index;
  index.filters_.reserve(lists.size());
  for (std::size_t i = 0; i < lists.size(); ++i) {
    auto f = PathFilter::Compile(lists[i]);
    if (!f.ok()) return MakeError(fmt::format("{}:{}", i, f.error().message), f.error().exit_code);
    const auto id = static_cast<std::uint32_t>(i);
    bool anywhere = false;
    for (const Glob& g : f->includes()) {
      std::string key = PruneKey(g);
      if (key.empty()) {
        anywhere = true;
        continue;
      }
      std::vector<std::uint32_t>& ids = index.by_key_[key];
      if (ids.empty() || ids.back() != id) ids.push_back(id);
    }
    if (anywhere) index.anywhere_.push_back(id);
    index.filters_.push_back(std::move(f).value());
  }
  return index;
}

void FilterIndex::MatchAll(std::string_view path, std::vector<Match>* out) const {
  std::vector<std::uint32_t> candidates(anywhere_);
  if (!by_key_.empty()) {
    // Keys are whole leading segments: "a", "a/b", ..., and the path itself.
    std::string key;
    key.reserve(path.size());
    for (std::size_t i = 0; i <= path.size(); ++i) {
      if (i != path.size() && path[i] != '/') continue;
      key.assign(path.data(), i);
      auto it = by_key_.find(key);
      if (it != by_key_.end())
        candidates.insert(candidates.end(), it->second.begin(), it->second.end());
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (std::uint32_t id : candidates) {
    const PathFilter& f = filters_[id];
    if (!f.Matches(path)) continue;
    const Glob* which = nullptr;
    for (const Glob& g : f.includes()) {
      if (g.Matches(path)) {
        which = &g;
        break;
      }
    }
    out->push_back(Match{id, which});
  }
}

}  // namespace fanout
