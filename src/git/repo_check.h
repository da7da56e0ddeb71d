// `--repo DIR` on the commands that read a build directory rather than a description (exec,
// snapshot, gather, report, matrix): the repository named must be the one the build directory
// was generated for. And the facts `fanout doctor` reports about a repository.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "git/git.h"

namespace fanout {

/// Opens `repo_dir`, the argument of --repo (a work tree, a path inside one, a .git directory
/// or a bare repository); the error (exit 3) says it came from --repo.
Expected<Repository> OpenRepoOption(const std::string& repo_dir);

/// Opens `repo_dir` (a work tree, a path inside one, a .git directory or a bare repository;
/// exit 3 naming it when it is none of these). When `build_dir` is not empty and holds a plan,
/// the repository must be the one the plan was generated for (the same work tree, or git
/// directory when bare, compared as canonical paths); otherwise the error (exit 2) names both
/// and says how to regenerate. A plan that cannot be read is its own error.
Status CheckRepoForBuildDir(const std::string& repo_dir, const std::string& build_dir);

/// What matters to fanout about a repository.
struct RepoFacts {
  std::string workdir;  ///< absolute, trailing '/'; empty when bare
  std::string gitdir;   ///< absolute, trailing '/'
  bool bare = false;
  /// A shallow clone: `affected` and `--base` cannot find a merge base older than its history.
  bool shallow = false;
  /// Non-empty for a partial clone: blobs missing locally are fetched from these on demand.
  std::vector<Repository::PromisorRemote> promisor_remotes;
};

/// Reads the facts of an open repository.
Expected<RepoFacts> ReadRepoFacts(const Repository& repo);

}  // namespace fanout
