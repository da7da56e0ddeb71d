#include "git/filter_index.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/go_imports.h"
#include "base/python_imports.h"

namespace fanout {

namespace {

/// PruneKey as a prefix of `pattern`.
std::string_view PruneKeyView(std::string_view pattern) {
  // A segment holding any of `*?[\` is where the literal part ends (glob.h: a pattern without
  // them names a path, which matches itself and everything under it).
  size_t seg_start = 0;
  while (seg_start <= pattern.size()) {
    size_t seg_end = pattern.find('/', seg_start);
    if (seg_end == std::string_view::npos) seg_end = pattern.size();
    if (pattern.substr(seg_start, seg_end - seg_start).find_first_of("*?[\\") !=
        std::string_view::npos) {
      return pattern.substr(0, seg_start == 0 ? 0 : seg_start - 1);
    }
    seg_start = seg_end + 1;
  }
  while (!pattern.empty() && pattern.back() == '/') pattern.remove_suffix(1);
  return pattern;
}

}  // namespace

std::string FilterIndex::PruneKey(std::string_view pattern) {
  return std::string(PruneKeyView(pattern));
}

FilterIndex::FilterIndex(std::vector<const std::vector<std::string>*> lists, TreeFileReader read)
    : lists_(std::move(lists)), read_(std::move(read)), compiled_(lists_.size()) {
  for (std::size_t i = 0; i < lists_.size(); ++i) {
    const auto id = static_cast<std::uint32_t>(i);
    bool anywhere = false;
    for (const std::string& p : *lists_[i]) {
      // Excludes and a .dockerignore only narrow a filter.
      if ((!p.empty() && p[0] == '!') || IsDockerignoreMarker(p)) continue;
      if (IsPythonMarker(p) || IsGoMarker(p)) {
        // The project files above a Python entry reach up to the root; a Go module's root
        // is at or above its package.
        anywhere = true;
        continue;
      }
      if (IsDockerfileMarker(p)) {
        // What it stands for lies under the context, or beside the Dockerfile.
        const std::string_view body = std::string_view(p).substr(kDockerfileMagic.size());
        const std::size_t sep = body.find("//");
        const std::string_view context = body.substr(0, sep);
        const std::string_view dockerfile =
            sep == std::string_view::npos ? "" : body.substr(sep + 2);
        const std::size_t slash = dockerfile.rfind('/');
        for (std::string_view dir :
             {context == "." ? std::string_view() : context,
              slash == std::string_view::npos ? std::string_view() : dockerfile.substr(0, slash)}) {
          if (dir.empty()) {
            anywhere = true;
          } else {
            by_key_.emplace_back(dir, id);
          }
        }
        continue;
      }
      const std::string_view key = PruneKeyView(p);
      if (key.empty()) {
        anywhere = true;
        continue;
      }
      by_key_.emplace_back(key, id);
    }
    if (anywhere) anywhere_.push_back(id);
  }
  std::sort(by_key_.begin(), by_key_.end());
  by_key_.erase(std::unique(by_key_.begin(), by_key_.end()), by_key_.end());
}

Status FilterIndex::MatchAll(std::string_view path, std::vector<Match>* out) {
  candidates_.assign(anywhere_.begin(), anywhere_.end());
  if (!by_key_.empty()) {
    // Keys are whole leading segments: "a", "a/b", ..., and the path itself.
    for (std::size_t i = 0; i <= path.size(); ++i) {
      if (i != path.size() && path[i] != '/') continue;
      const std::string_view key = path.substr(0, i);
      auto it =
          std::lower_bound(by_key_.begin(), by_key_.end(), key,
                           [](const auto& entry, std::string_view k) { return entry.first < k; });
      for (; it != by_key_.end() && it->first == key; ++it) candidates_.push_back(it->second);
    }
  }
  std::sort(candidates_.begin(), candidates_.end());
  candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  for (std::uint32_t id : candidates_) {
    if (!compiled_[id]) {
      auto f = PathFilter::Compile(*lists_[id], read_);
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
