#include "generator/fragment.h"

#include <algorithm>

#include <fmt/format.h>

#include <boost/filesystem/path.hpp>
#include "base/build_layout.h"

namespace fanout {

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

Expected<FragmentSpec> MakeFragmentSpec(const std::string& build_dir, const std::string& parent_dir,
                                        const std::string& name_prefix) {
  // Letters, digits, '_' and '-' are what a Ninja identifier, a Make target and a Make
  // variable name all take without escaping.
  if (name_prefix.empty() || !IsAlnum(name_prefix[0]) ||
      !std::all_of(name_prefix.begin(), name_prefix.end(),
                   [](char c) { return IsAlnum(c) || c == '_' || c == '-'; })) {
    return MakeError(
        fmt::format("--prefix '{}' cannot begin names in the including build: it must match "
                    "[A-Za-z0-9][A-Za-z0-9_-]*",
                    name_prefix));
  }
  if (parent_dir.empty() || parent_dir[0] != '/' || build_dir.empty() || build_dir[0] != '/') {
    return MakeError(
        fmt::format("the build directory '{}' and the parent directory '{}' must be "
                    "absolute paths",
                    build_dir, parent_dir));
  }
  FragmentSpec spec;
  spec.parent_dir = parent_dir;
  spec.name_prefix = name_prefix;
  const std::string relative =
      boost::filesystem::path(build_dir).lexically_relative(parent_dir).string();
  if (!relative.empty() && relative != ".") spec.path_prefix = relative + "/";
  return spec;
}

NinjaRegenFiles RegenFilesFor(const FragmentSpec* fragment) {
  if (fragment) {
    return {kNinjaFragment, ".fanout/fragment.ninja.stamp", ".fanout/fragment.ninja.d"};
  }
  return {layout::kBuildNinja, layout::kRegenStamp, layout::kRegenDepfile};
}

}  // namespace fanout
