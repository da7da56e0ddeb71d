// Paths of a repository's tree: relative to its root, '/'-separated, "" for the root. The
// small operations the input derivations (python_imports.cc, go_imports.cc) share.
#pragma once

#include <string>
#include <string_view>

namespace fanout {

/// `dir/name`; either may be "" (the root, or nothing to add).
inline std::string JoinRepoPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (name.empty()) return std::string(dir);
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out.append(dir).append("/").append(name);
  return out;
}

/// The directory holding `path` ("" for a top-level one).
inline std::string_view RepoDirname(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

/// The last component of `path`.
inline std::string_view RepoBasename(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// Whether `path` lies strictly under the directory `dir` (everything is under the root "").
inline bool IsUnderRepoDir(std::string_view path, std::string_view dir) {
  return dir.empty() ||
         (path.size() > dir.size() && path[dir.size()] == '/' && path.substr(0, dir.size()) == dir);
}

}  // namespace fanout
