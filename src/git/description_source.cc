#include "git/description_source.h"

#include <fmt/format.h>
#include <boost/filesystem.hpp>

namespace fanout {

namespace fs = boost::filesystem;

std::optional<std::string> RelativeTo(const std::string& path, const std::string& root) {
  boost::system::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) return std::nullopt;
  fs::path r = fs::weakly_canonical(fs::absolute(root), ec);
  if (ec) return std::nullopt;
  std::string ps = p.generic_string(), rs = r.generic_string();
  while (!rs.empty() && rs.back() == '/') rs.pop_back();
  if (ps.size() <= rs.size() + 1 || ps.compare(0, rs.size(), rs) != 0 || ps[rs.size()] != '/') {
    return std::nullopt;
  }
  return ps.substr(rs.size() + 1);
}

Expected<std::string> DescriptionRelPath(const Repository& repo, const std::string& file) {
  if (!repo.is_bare()) return RelativeTo(file, repo.workdir()).value_or("");
  fs::path p(file);
  if (p.is_absolute()) {
    return MakeError(
        fmt::format("the repository is bare, so -f names the description's path "
                    "inside it (such as -f fanout.yaml), not '{}'",
                    file));
  }
  std::string rel = p.lexically_normal().generic_string();
  while (rel.rfind("./", 0) == 0) rel.erase(0, 2);
  return rel;
}

Expected<LoadResult> LoadDescriptionAtRevision(const Repository& repo, const SourceState& at,
                                               const std::string& relpath,
                                               const std::string& display) {
  auto text = repo.ReadFileAt(SourceTree(at), relpath);
  if (!text.ok()) return text.error();
  if (!*text) {
    std::string hint = repo.is_bare() ? "pass -f with the description's path inside the repository"
                                      : "commit it, or use the work tree's (--head worktree)";
    return MakeError(fmt::format("the description '{}' is not in '{}' ({}): {}", relpath, at.source,
                                 at.commit.value_or("").substr(0, 12), hint));
  }
  return LoadDescriptionText(**text, display);
}

}  // namespace fanout
