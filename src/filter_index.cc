#include "src/filter_index.h"

#include <algorithm>

#include <fmt/format.h>

namespace fanout {

std::string FilterIndex::PruneKey(std::string_view pattern) {
  // A segment holding any of `*?[\` is where the literal part ends (glob.h: a pattern without
  // them names a path, which matches itself and everything under it).
  size_t seg_start = 0;
  while (seg_start <= pattern.size()) {
    size_t seg_end = pattern.find('/', seg_start);
    if (seg_end == std::string_view::npos) seg_end = pattern.size();
    if (pattern.substr(seg_start, seg_end - seg_start).find_first_of("*?[\\") !=
        std::string_view::npos) {
      return std::string(pattern.substr(0, seg_start == 0 ? 0 : seg_start - 1));
    }
    seg_start = seg_end + 1;
  }
  std::string key(pattern);
  while (!key.empty() && key.back() == '/') key.pop_back();
  return key;
}

FilterIndex::FilterIndex(std::vector<std::vector<std::string>> lists)
    : lists_(std::move(lists)), compiled_(lists_.size()) {
  for (std::size_t i = 0; i < lists_.size(); ++i) {
    const auto id = static_cast<std::uint32_t>(i);
    bool anywhere = false;
    for (const std::string& p : lists_[i]) {
      if (!p.empty() && p[0] == '!') continue;  // excludes only narrow a filter
      std::string key = PruneKey(p);
      if (key.empty()) {
        anywhere = true;
        continue;
      }
      std::vector<std::uint32_t>& ids = by_key_[key];
      if (ids.empty() || ids.back() != id) ids.push_back(id);
    }
    if (anywhere) anywhere_.push_back(id);
  }
}

Status FilterIndex::MatchAll(std::string_view path, std::vector<Match>* out) {
  candidates_.assign(anywhere_.begin(), anywhere_.end());
  if (!by_key_.empty()) {
    // Keys are whole leading segments: "a", "a/b", ..., and the path itself.
    std::string key;
    key.reserve(path.size());
    for (std::size_t i = 0; i <= path.size(); ++i) {
      if (i != path.size() && path[i] != '/') continue;
      key.assign(path.data(), i);
      auto it = by_key_.find(key);
      if (it != by_key_.end()) {
        candidates_.insert(candidates_.end(), it->second.begin(), it->second.end());
      }
    }
  }
  std::sort(candidates_.begin(), candidates_.end());
  candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  for (std::uint32_t id : candidates_) {
    if (!compiled_[id]) {
      auto f = PathFilter::Compile(lists_[id]);
      if (!f.ok())
        return MakeError(fmt::format("{}:{}", id, f.error().message), f.error().exit_code);
      compiled_[id] = std::move(f).value();
    }
    const PathFilter& f = *compiled_[id];
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
  return {};
}

}  // namespace fanout
