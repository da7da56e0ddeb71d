#include "cli/input_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/filesystem.hpp>

#include "base/file_util.h"
#include "base/glob.h"
#include "base/unique_fd.h"
#include "description/warnings.h"
#include "git/index_files.h"
#include "snapshot/inputs.h"

namespace fanout {

namespace {

namespace fs = boost::filesystem;

/// At most this many work-tree entries are looked at for one pattern the index does not
/// match: the check then gives the pattern the benefit of the doubt.
constexpr int kMaxWalk = 100000;

/// Whether a path of `files` (sorted) under `glob`'s walk root matches it.
bool AnyMatch(const Glob& glob, const std::vector<TreeFile>& files) {
  const std::string& root = glob.walk_root();
  auto it = std::lower_bound(files.begin(), files.end(), root,
                             [](const TreeFile& f, const std::string& r) { return f.path < r; });
  for (; it != files.end() && it->path.compare(0, root.size(), root) == 0; ++it) {
    if (glob.Matches(it->path)) return true;
  }
  return false;
}

/// Whether an untracked, not ignored file of the work tree matches `glob`.
bool AnyUntrackedMatch(const Repository& repo, const Glob& glob) {
  const std::string workdir = repo.workdir();
  if (workdir.empty()) return false;
  const std::string& root = glob.walk_root();
  boost::system::error_code ec;
  const fs::path start = root.empty() ? fs::path(workdir) : fs::path(workdir + root);
  const fs::file_status st = fs::symlink_status(start, ec);
  if (ec) return false;
  auto matches = [&](const std::string& rel) {
    int ignored = 0;
    return glob.Matches(rel) &&
           !(git_ignore_path_is_ignored(&ignored, repo.get(), rel.c_str()) == 0 && ignored);
  };
  if (!fs::is_directory(st)) return matches(root);
  int seen = 0;
  for (fs::recursive_directory_iterator it(start, ec), end; !ec && it != end; it.increment(ec)) {
    if (++seen > kMaxWalk) return true;
    const fs::path& p = it->path();
    const std::string rel = p.string().substr(workdir.size());
    if (p.filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (fs::is_directory(it->symlink_status())) {
      int ignored = 0;
      if (git_ignore_path_is_ignored(&ignored, repo.get(), (rel + "/").c_str()) == 0 && ignored) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (matches(rel)) return true;
  }
  return false;
}

/// What a Git LFS pointer file starts with
/// (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
constexpr std::string_view kLfsPointerStart = "version https://git-lfs.github.com/spec/v1";

/// Whether a .gitattributes file of `files` gives some path the LFS filter: without one, no
/// file is looked at.
bool UsesLfs(const Repository& repo, const std::optional<SourceState>& revision,
             const std::vector<TreeFile>& files) {
  for (const TreeFile& f : files) {
    if (f.path != ".gitattributes" &&
        (f.path.size() < 15 || f.path.compare(f.path.size() - 15, 15, "/.gitattributes") != 0)) {
      continue;
    }
    std::optional<std::string> text;
    if (revision) {
      if (auto read = repo.ReadFileAt(SourceTree(*revision), f.path); read.ok()) text = *read;
    } else if (auto read = ReadFile(repo.workdir() + f.path); read.ok()) {
      text = *read;
    }
    if (text && text->find("filter=lfs") != std::string::npos) return true;
  }
  return false;
}

/// The first bytes of `f` as the build will see it: the revision's blob, or the work tree's
/// file.
std::string FileStart(const Repository& repo, const std::optional<SourceState>& revision,
                      const TreeFile& f) {
  if (revision) {
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, repo.get(), &f.oid) != 0) return "";
    BlobPtr blob(raw);
    const auto size = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                       std::min(size, kLfsPointerStart.size()));
  }
  std::string out(kLfsPointerStart.size(), '\0');
  UniqueFd fd(open((repo.workdir() + f.path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return "";
  const ssize_t n = read(fd.get(), out.data(), out.size());
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

/// Warns about each Git LFS pointer file (a file the LFS filter covers whose content is the
/// pointer, not the object) among a target's inputs: its workspace gets the pointer.
void WarnLfsPointers(const Repository& repo, const std::optional<SourceState>& revision,
                     const Description& desc, const std::vector<TreeFile>& files) {
  if (!UsesLfs(repo, revision, files)) return;
  const CompiledInputs inputs = CompileInputs(desc.targets, desc.global_inputs);
  constexpr int kMaxShown = 20;
  int shown = 0, more = 0;
  for (const TreeFile& f : files) {
    if (f.mode != GIT_FILEMODE_BLOB && f.mode != GIT_FILEMODE_BLOB_EXECUTABLE) continue;
    const char* filter = nullptr;
    if (git_attr_get(&filter, repo.get(), GIT_ATTR_CHECK_INDEX_THEN_FILE, f.path.c_str(),
                     "filter") != 0 ||
        !filter || std::string_view(filter) != "lfs") {
      continue;
    }
    std::vector<std::string> readers;
    for (const Target& t : desc.targets) {
      const PathFilter* filter_of = inputs.Find(t.name);
      if (t.checkout == Checkout::kFull || (filter_of && filter_of->Matches(f.path))) {
        readers.push_back(t.name);
      }
    }
    if (readers.empty() || FileStart(repo, revision, f) != kLfsPointerStart) continue;
    if (shown++ >= kMaxShown) {
      ++more;
      continue;
    }
    fmt::print(stderr,
               "fanout: warning: '{}', an input of target{} '{}', is a Git LFS pointer file, "
               "not its content: the workspace gets the pointer; run 'git lfs pull' to fetch "
               "the content\n",
               f.path, readers.size() == 1 ? "" : "s", fmt::join(readers, "', '"));
  }
  if (more > 0) {
    fmt::print(stderr, "fanout: warning: and {} more Git LFS pointer files among the inputs\n",
               more);
  }
}

}  // namespace

bool CheckInputPatterns(const Repository& repo, const std::optional<SourceState>& revision,
                        const Description& desc, const std::string& file, std::string_view source,
                        bool strict) {
  std::vector<TreeFile> files;
  if (revision) {
    Status st =
        repo.WalkTree(SourceTree(*revision), "", [&](const TreeFile& f) { files.push_back(f); });
    if (!st.ok()) return true;  // the snapshot reports what is wrong with the tree
    std::sort(files.begin(), files.end(),
              [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; });
  } else if (!repo.workdir().empty()) {
    auto indexed = IndexFiles(repo);
    if (!indexed.ok()) return true;
    files = std::move(*indexed);
  } else {
    return true;
  }
  WarnLfsPointers(repo, revision, desc, files);
  bool ok = true;
  for (const Diagnostic& d : SubmoduleInputErrors(desc, file, GitlinkPaths(files))) {
    fmt::print(stderr, "{}", FormatDiagnostic(d, source));
    ok = false;
  }
  auto matches_any = [&](const std::string& pattern) {
    auto glob = Glob::Compile(pattern);
    if (!glob.ok()) return true;  // validation reports it
    if (AnyMatch(*glob, files)) return true;
    return !revision && AnyUntrackedMatch(repo, *glob);
  };
  for (const Diagnostic& d : UnmatchedInputDiagnostics(desc, file, matches_any, strict)) {
    fmt::print(stderr, "{}", FormatDiagnostic(d, source));
    if (d.severity == Severity::kError) ok = false;
  }
  return ok;
}

}  // namespace fanout
