#include "cli/build_dir.h"

#include <git2.h>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "base/shell_quote.h"
#include "cli/locate_description.h"
#include "description/loader.h"

namespace fanout {

namespace fs = boost::filesystem;

namespace {

/// An absolute, normalized path (the file itself need not exist).
fs::path Absolute(const std::string& p) {
  boost::system::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : abs;
}

/// The first entry of the directory `dir` that is not fanout's own, or "" when it holds none
/// (or does not exist). `.fanout/` marks a directory fanout made.
std::string FirstForeignEntry(const fs::path& dir, bool* fanouts) {
  *fanouts = false;
  boost::system::error_code ec;
  std::string first;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == layout::kInternalDir) *fanouts = true;
    if (first.empty() || name < first) first = name;
  }
  return *fanouts ? "" : first;
}

}  // namespace

std::string ShownPath(const std::string& path) {
  boost::system::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec || path.empty() || path[0] != '/') return path;
  const fs::path rel = fs::path(path).lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

std::string ChooseBuildDir(const std::string& flag, const std::string& desc_build_dir,
                           const std::string& workdir) {
  if (!flag.empty()) return flag;
  const std::string rel = desc_build_dir.empty() ? kDefaultBuildDir : desc_build_dir;
  if (workdir.empty()) return rel;
  return ShownPath((fs::path(workdir) / rel).lexically_normal().string());
}

std::string BuildDirForReading(const std::string& flag) {
  if (!flag.empty()) return flag;
  const std::string file = LocateDescription();
  boost::system::error_code ec;
  std::string desc_build_dir;
  std::string at = ".";
  if (fs::is_regular_file(file, ec)) {
    LoadResult loaded = LoadDescriptionFile(file);
    if (loaded.description) desc_build_dir = loaded.description->build_dir;
    at = Absolute(file).parent_path().string();
  }
  auto repo = Repository::Open(at);
  return ChooseBuildDir("", desc_build_dir, repo.ok() ? repo->workdir() : "");
}

Status CheckBuildDirSafe(const Repository& repo, std::string build_dir, const std::string& shown) {
  if (repo.is_bare()) return {};
  // "-B build/" may come back as ".../build/." or ".../build/".
  while (build_dir.size() > 1 && (build_dir.back() == '/' || build_dir.ends_with("/."))) {
    build_dir.pop_back();
  }
  std::string workdir = repo.workdir();
  while (workdir.size() > 1 && workdir.back() == '/') workdir.pop_back();
  workdir = Absolute(workdir).string();  // canonical, as build_dir is
  std::string rel;
  if (build_dir != workdir) {
    if (build_dir.rfind(workdir + "/", 0) != 0) return {};
    rel = build_dir.substr(workdir.size() + 1);
  }
  auto tracked = repo.FirstTrackedPathUnder(rel);
  if (!tracked.ok()) return tracked.error();
  if (*tracked) {
    return MakeError(
        fmt::format("build directory '{}' holds files tracked by git ('{}'); fanout keeps its "
                    "state there and will not trust or overwrite tracked files: pass another "
                    "directory with -B or 'build_dir:' in fanout.yaml (the default is '{}'), "
                    "or untrack them with 'git rm -r --cached {}'",
                    shown, **tracked, kDefaultBuildDir, rel.empty() ? "." : ShellQuote(rel)),
        kExitUsage);
  }
  bool fanouts = false;
  const std::string foreign = FirstForeignEntry(build_dir, &fanouts);
  if (foreign.empty()) return {};
  int ignored = 0;
  if (git_ignore_path_is_ignored(&ignored, repo.get(), (rel + "/").c_str()) == 0 && ignored) {
    return {};
  }
  return MakeError(
      fmt::format("build directory '{}' already holds files that are not fanout's ('{}/{}') and "
                  "git does not ignore it: fanout's '.gitignore' there would hide them from git: "
                  "pass another directory with -B or 'build_dir:' in fanout.yaml (the default "
                  "is '{}'), or, if everything in it is scratch, add '/{}/' to .gitignore",
                  shown, rel, foreign, kDefaultBuildDir, rel),
      kExitUsage);
}

Status PrepareBuildDir(const std::string& build_dir) {
  bool fanouts = false;
  const bool ours = FirstForeignEntry(build_dir, &fanouts).empty();
  boost::system::error_code ec;
  fs::create_directories(fs::path(build_dir) / layout::kInternalDir, ec);
  if (ec) return WriteError(build_dir + "/" + layout::kInternalDir, ec.value());
  const std::string gitignore = build_dir + "/.gitignore";
  if (ours && !fs::exists(gitignore, ec)) {
    return WriteFileAtomically(gitignore, "# Generated by fanout.\n*\n");
  }
  return {};
}

}  // namespace fanout
