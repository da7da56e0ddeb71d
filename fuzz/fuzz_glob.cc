// The glob compiler and matcher (base/glob.h). Input: patterns one per line, an empty line,
// then paths one per line. Besides not crashing, checks promises glob.h makes:
// - a compiled pattern not ending in '/' matches the path spelled exactly like it, and
//   everything under that path;
// - every path a pattern matches lies under its walk_root() (and literal_prefix()).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/glob.h"

namespace {

bool Under(std::string_view path, std::string_view root) {
  if (!root.empty() && root.back() == '/') root.remove_suffix(1);  // "pkg/" names pkg
  if (root.empty()) return true;
  return path == root || (path.size() > root.size() && path.substr(0, root.size()) == root &&
                          path[root.size()] == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> patterns;
  std::vector<std::string> paths;
  bool in_paths = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.empty() && !in_paths) {
      in_paths = true;
    } else {
      (in_paths ? paths : patterns).emplace_back(line);
    }
    start = end + 1;
  }

  for (const std::string& pattern : patterns) {
    fanout::Expected<fanout::Glob> glob = fanout::Glob::Compile(pattern);
    if (!glob.ok()) continue;
    if (pattern.back() != '/') {
      if (!glob->Matches(pattern)) __builtin_trap();
      if (!glob->Matches(pattern + "/x")) __builtin_trap();
    }
    for (const std::string& path : paths) {
      if (!glob->Matches(path)) continue;
      if (!Under(path, glob->walk_root())) __builtin_trap();
      if (!Under(path, glob->literal_prefix())) __builtin_trap();
    }
  }
  fanout::Expected<fanout::PathFilter> filter = fanout::PathFilter::Compile(patterns);
  if (filter.ok()) {
    for (const std::string& path : paths) (void)filter->Matches(path);
  }
  return 0;
}
