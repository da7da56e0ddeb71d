#include "git/repo_check.h"

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "plan/plan.h"

namespace fanout {

namespace fs = boost::filesystem;

namespace {

/// `p` with symbolic links resolved when it exists, else absolute and normalized.
std::string Canonical(const std::string& p) {
  boost::system::error_code ec;
  fs::path c = fs::canonical(p, ec);
  if (ec) return fs::absolute(p).lexically_normal().string();
  return c.string();
}

}  // namespace

Expected<Repository> OpenRepoOption(const std::string& repo_dir) {
  auto repo = Repository::Open(repo_dir);
  if (!repo.ok()) return MakeError("--repo: " + repo.error().message, kExitGit);
  return repo;
}

Status CheckRepoForBuildDir(const std::string& repo_dir, const std::string& build_dir) {
  auto repo = OpenRepoOption(repo_dir);
  if (!repo.ok()) return repo.error();
  if (build_dir.empty() || !fs::exists(build_dir + "/" + layout::kPlan)) return {};
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return plan.error();
  const std::string root = repo->root();
  if (Canonical(root) == Canonical(plan->repo_root)) return {};
  const std::string named = Canonical(repo_dir) == Canonical(root)
                                ? fmt::format("'{}'", repo_dir)
                                : fmt::format("'{}' (the repository at '{}')", repo_dir, root);
  return MakeError(fmt::format(
      "--repo {} is not the repository the build directory '{}' was generated for, '{}'; pass "
      "--repo '{}' (or leave --repo out), or regenerate the build directory for this "
      "repository with 'fanout gen -B {} --repo {}'",
      named, build_dir, plan->repo_root, plan->repo_root, build_dir, repo_dir));
}

Expected<RepoFacts> ReadRepoFacts(const Repository& repo) {
  RepoFacts f;
  f.bare = repo.is_bare();
  f.workdir = repo.workdir();
  f.gitdir = repo.gitdir();
  f.shallow = repo.IsShallow();
  auto promisors = repo.PromisorRemotes();
  if (!promisors.ok()) return promisors.error();
  f.promisor_remotes = std::move(*promisors);
  return f;
}

}  // namespace fanout
