// A tree as a map of path to text, read through a TreeFileReader (base/glob.h), and what an
// input list's PathFilter selects from it: for the tests of derived inputs
// (python_imports_test.cc, go_imports_test.cc).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "base/glob.h"

namespace fanout {

using Tree = std::map<std::string, std::string>;

/// Reads and lists `tree` (which must outlive the reader); no content ids.
inline TreeFileReader ReaderOf(const Tree& tree) {
  return TreeFileReader(
      [&tree](const std::string& path) -> Expected<std::optional<std::string>> {
        auto it = tree.find(path);
        if (it == tree.end()) return std::optional<std::string>();
        return std::optional<std::string>(it->second);
      },
      [&tree](const std::string& dir, const TreeFileReader::EachFile& each) -> Status {
        for (const auto& [path, text] : tree) {
          if (dir.empty() || path.rfind(dir + "/", 0) == 0) each(path, "");
        }
        return {};
      });
}

/// The files of `tree` that the pattern's inputs match, and why each (its first include).
inline std::map<std::string, std::string> Inputs(const Tree& tree, const std::string& pattern) {
  auto filter = PathFilter::Compile({pattern}, ReaderOf(tree));
  EXPECT_TRUE(filter.ok()) << filter.error().message;
  std::map<std::string, std::string> out;
  if (!filter.ok()) return out;
  for (const auto& [path, text] : tree) {
    if (!filter->Matches(path)) continue;
    for (const Glob& g : filter->includes()) {
      if (g.Matches(path)) {
        out[path] = g.origin();
        break;
      }
    }
  }
  return out;
}

inline std::set<std::string> Paths(const std::map<std::string, std::string>& inputs) {
  std::set<std::string> out;
  for (const auto& [path, origin] : inputs) out.insert(path);
  return out;
}

}  // namespace fanout
