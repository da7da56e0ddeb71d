// A build file meant to be included into a build the user already has (`fanout gen
// --fragment ninja|make`): a Ninja file for `subninja`, or a Makefile for `include`. The
// including build runs in its own directory, so every path of the fragment names the build
// directory as seen from there, and every name it adds to the including build's single
// namespace (rules, pools, phony targets, Make variables) carries a prefix.
#pragma once

#include <string>

#include "base/expected.h"

namespace fanout {

/// The fragment written into the build directory: `subninja BUILD/fragment.ninja`.
inline constexpr const char* kNinjaFragment = "fragment.ninja";
/// The fragment for Make: `include BUILD/fragment.mk`.
inline constexpr const char* kMakeFragment = "fragment.mk";

/// How the fragment's paths and names are written.
struct FragmentSpec {
  /// The absolute directory the including build runs in (ninja's or make's working directory).
  std::string parent_dir;
  /// The build directory relative to parent_dir, with a trailing '/'; empty when they are the
  /// same directory. Prepended to every path of the build directory.
  std::string path_prefix;
  /// What every rule, pool, phony target and variable name begins with, followed by '-' (or
  /// '_' for Make variables): `fanout-all`, `fanout-<target>`, `fanout-exec`.
  std::string name_prefix;

  /// `path` (relative to the build directory) as the including build names it.
  std::string Path(const std::string& path) const { return path_prefix + path; }
  /// A name of the fragment's own: `<name_prefix>-<name>`.
  std::string Name(const std::string& name) const { return name_prefix + "-" + name; }
  /// The directory a command enters before running fanout (the prefix without its '/'), or
  /// empty when the including build runs in the build directory itself.
  std::string CommandDir() const {
    return path_prefix.empty() ? "" : path_prefix.substr(0, path_prefix.size() - 1);
  }
};

/// The files of a Ninja build's regeneration, relative to the build directory: the build file
/// (build.ninja, or the fragment), its regeneration stamp and the stamp's depfile. A fragment
/// has its own, so that a complete build.ninja can live beside it.
struct NinjaRegenFiles {
  const char* build_file;
  const char* stamp;
  const char* depfile;
};
NinjaRegenFiles RegenFilesFor(const FragmentSpec* fragment);

/// The spec for a build directory `build_dir` included from `parent_dir` (both absolute and
/// normalized). Errors: a name prefix that is not [A-Za-z0-9][A-Za-z0-9_-]*, or a parent
/// directory that is not absolute.
Expected<FragmentSpec> MakeFragmentSpec(const std::string& build_dir, const std::string& parent_dir,
                                        const std::string& name_prefix);

}  // namespace fanout
