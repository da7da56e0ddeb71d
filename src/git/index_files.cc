#include "git/index_files.h"

#include <algorithm>

namespace fanout {

Expected<std::vector<TreeFile>> IndexFiles(const Repository& repo) {
  git_index* raw = nullptr;
  const std::string index_path = repo.gitdir() + "index";
  if (git_index_open(&raw, index_path.c_str()) != 0) {
    return GitError("cannot read the index " + index_path);
  }
  IndexPtr index(raw);
  std::vector<TreeFile> files;
  const size_t n = git_index_entrycount(index.get());
  files.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const git_index_entry* e = git_index_get_byindex(index.get(), i);
    if (!e) continue;
    if (!files.empty() && files.back().path == e->path) continue;  // a conflict's stages
    files.push_back({e->path, static_cast<git_filemode_t>(e->mode), e->id});
  }
  auto by_path = [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; };
  if (!std::is_sorted(files.begin(), files.end(), by_path)) {
    std::sort(files.begin(), files.end(), by_path);
  }
  return files;
}

std::vector<std::string> GitlinkPaths(const std::vector<TreeFile>& files) {
  std::vector<std::string> out;
  for (const TreeFile& f : files) {
    if (f.mode == GIT_FILEMODE_COMMIT) out.push_back(f.path);
  }
  return out;
}

}  // namespace fanout
