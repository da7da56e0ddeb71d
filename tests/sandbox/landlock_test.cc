// The process tier's Landlock rules: where the read rules go (a pure function over a fake
// directory listing), the ruleset applied for real in a forked child, and the repository
// directories the sandbox hides.
#include "sandbox/landlock.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox/workspace.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::PlanReadRules;
using sandbox::ReadRulePlan;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// A directory tree as listings: directory -> entry names. Records what was listed.
class FakeTree {
 public:
  explicit FakeTree(std::map<std::string, std::vector<std::string>> dirs)
      : dirs_(std::move(dirs)) {}

  sandbox::ListDirFn Lister() {
    return [this](const std::string& dir) -> std::optional<std::vector<std::string>> {
      listed_.push_back(dir);
      auto it = dirs_.find(dir);
      if (it == dirs_.end()) return std::nullopt;
      return it->second;
    };
  }
  const std::vector<std::string>& listed() const { return listed_; }

 private:
  std::map<std::string, std::vector<std::string>> dirs_;
  std::vector<std::string> listed_;
};

// A machine with a home directory holding a repository.
std::map<std::string, std::vector<std::string>> Machine() {
  return {
      {"/", {"bin", "etc", "home", "tmp", "usr", "vmlinuz"}},
      {"/home", {"alice", "bob"}},
      {"/home/alice", {".cargo", "notes.txt", "repo"}},
      {"/home/alice/repo", {".git", "README", "build", "src"}},
      {"/home/alice/repo/build", {".fanout", "build.ninja", "targets"}},
      {"/home/alice/repo/build/.fanout", {"bases", "plan.json", "ws"}},
      {"/home/alice/repo/build/.fanout/ws", {"other", "t", "t.lock"}},
      {"/home/alice/repo/build/.fanout/ws/t", {"deps", "home", "src", "tmp"}},
      {"/home/alice/repo/build/targets", {"other", "t", "up"}},
      {"/home/alice/repo/build/targets/t", {"log.txt", "out"}},
      {"/home/alice/repo/build/targets/up", {"log.txt", "out"}},
  };
}

TEST(PlanReadRules, NothingHidden_RootIsReadable) {
  FakeTree tree(Machine());
  ReadRulePlan plan = PlanReadRules({}, {"/home/alice/repo/build"}, tree.Lister());
  EXPECT_THAT(plan.paths, ElementsAre("/"));
  EXPECT_THAT(tree.listed(), IsEmpty());  // no directory needs splitting
}

TEST(PlanReadRules, SiblingsOnTheWayToAHiddenPath_EntriesOfEveryKind) {
  FakeTree tree(Machine());
  ReadRulePlan plan = PlanReadRules({"/home/alice/repo"}, {}, tree.Lister());
  // Directories, files ("vmlinuz", "notes.txt") and symlinks ("bin") alike: the caller picks
  // the rights per kind. "/", "/home" and "/home/alice" get no rule (they lead to the repo).
  EXPECT_THAT(plan.paths, ElementsAre("/bin", "/etc", "/home/alice/.cargo", "/home/alice/notes.txt",
                                      "/home/bob", "/tmp", "/usr", "/vmlinuz"));
  EXPECT_THAT(tree.listed(), ElementsAre("/", "/home", "/home/alice"));
  EXPECT_THAT(plan.unlisted, IsEmpty());
}

TEST(PlanReadRules, NestedHiddenPaths_WorkspaceAndDepsReadableInside) {
  FakeTree tree(Machine());
  const std::string build = "/home/alice/repo/build";
  ReadRulePlan plan = PlanReadRules({"/home/alice/repo", build},
                                    {build + "/.fanout/ws/t/src", build + "/.fanout/ws/t/deps",
                                     build + "/targets/t/out", build + "/targets/up/out"},
                                    tree.Lister());
  EXPECT_THAT(plan.paths, ElementsAre("/bin", "/etc", "/home/alice/.cargo", "/home/alice/notes.txt",
                                      build + "/.fanout/ws/t/deps", build + "/.fanout/ws/t/src",
                                      build + "/targets/t/out", build + "/targets/up/out",
                                      "/home/bob", "/tmp", "/usr", "/vmlinuz"));
  // Only readable directories on the way are listed: not the hidden repository and build
  // directory (their kept paths are reached by name), so not the bases, the sources or other
  // targets either.
  EXPECT_THAT(tree.listed(), UnorderedElementsAre("/", "/home", "/home/alice"));
}

TEST(PlanReadRules, TheDeepestPathDecides) {
  FakeTree tree({{"/", {"a", "z"}}, {"/a", {"b", "x"}}, {"/a/b", {"c", "d"}}});
  // /a hidden, /a/b readable again, /a/b/c hidden again; /z both: readable wins the tie.
  ReadRulePlan plan = PlanReadRules({"/a", "/a/b/c", "/z"}, {"/a/b", "/z"}, tree.Lister());
  EXPECT_THAT(plan.paths, ElementsAre("/a/b/d", "/z"));
}

TEST(PlanReadRules, UnlistableDirectory_KeptPathsStillGetRules) {
  auto dirs = Machine();
  dirs.erase("/home/alice");  // e.g. mode 0711: searchable, not listable
  FakeTree tree(dirs);
  const std::string out = "/home/alice/repo/build/targets/t/out";
  ReadRulePlan plan = PlanReadRules({"/home/alice/repo"}, {out}, tree.Lister());
  EXPECT_THAT(plan.unlisted, ElementsAre("/home/alice"));
  EXPECT_THAT(plan.paths,
              ElementsAre("/bin", "/etc", out, "/home/bob", "/tmp", "/usr", "/vmlinuz"));
}

TEST(PlanReadRules, HiddenTopLevelDirectory) {
  FakeTree tree({{"/", {"repo", "usr"}}, {"/repo", {"a", "ws"}}});
  ReadRulePlan plan = PlanReadRules({"/repo"}, {"/repo/ws"}, tree.Lister());
  EXPECT_THAT(plan.paths, ElementsAre("/repo/ws", "/usr"));
}

// Runs `checks` in a forked child restricted by a ruleset for `policy`; returns the names of
// the checks that failed (or why the ruleset could not be made).
std::vector<std::string> RunRestricted(
    const sandbox::LandlockPolicy& policy,
    const std::vector<std::pair<std::string, std::function<bool()>>>& checks) {
  std::vector<std::string> notes;
  auto ruleset = sandbox::MakeLandlockRuleset(policy, &notes);
  if (!ruleset.ok()) return {"MakeLandlockRuleset: " + ruleset.error().message};
  pid_t pid = fork();
  if (pid == 0) {
    if (!sandbox::EnforceLandlock(ruleset->get()).empty()) _exit(255);
    for (size_t i = 0; i < checks.size(); ++i) {
      if (!checks[i].second()) _exit(static_cast<int>(i) + 1);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return {"the child was killed"};
  const int code = WEXITSTATUS(status);
  if (code == 0) return {};
  if (code == 255) return {"EnforceLandlock failed"};
  return {checks[static_cast<size_t>(code) - 1].first};
}

bool CanRead(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool CannotRead(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return fd < 0 && errno == EACCES;
}

bool CanList(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d) closedir(d);
  return d != nullptr;
}

bool CanCreate(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

TEST(LandlockRuleset, HidesNestedPathsKeepsWorkspaceAndEverythingElse) {
  if (sandbox::LandlockAbi() < 1) GTEST_SKIP() << "this kernel has no Landlock";
  TempDir dir;
  const std::string repo = dir / "repo", build = repo + "/build";
  WriteFile(repo + "/secret.txt", "s\n");
  WriteFile(build + "/ws/src/input.txt", "i\n");
  WriteFile(build + "/targets/up/out/lib.txt", "l\n");
  WriteFile(build + "/targets/other/out/x.txt", "x\n");
  WriteFile(dir / "sibling.txt", "f\n");  // a file at the level of the repository
  WriteFile(dir / "sibling/y.txt", "y\n");
  ASSERT_EQ(symlink((repo + "/secret.txt").c_str(), (dir / "link").c_str()), 0);
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0644), 0);  // opened O_PATH only: must not block

  sandbox::LandlockPolicy policy;
  policy.hidden = {repo, build};
  policy.writable = {build + "/ws/src"};
  policy.readable = {build + "/targets/up/out"};
  auto failed = RunRestricted(
      policy,
      {
          {"read /etc/passwd", [] { return CanRead("/etc/passwd"); }},
          {"list /usr/bin", [] { return CanList("/usr/bin"); }},
          {"read sibling.txt", [&] { return CanRead(dir / "sibling.txt"); }},
          {"read sibling/y.txt", [&] { return CanRead(dir / "sibling/y.txt"); }},
          {"read input", [&] { return CanRead(build + "/ws/src/input.txt"); }},
          {"write in the workspace", [&] { return CanCreate(build + "/ws/src/new"); }},
          {"read the dep", [&] { return CanRead(build + "/targets/up/out/lib.txt"); }},
          {"no write to the dep", [&] { return !CanCreate(build + "/targets/up/out/new"); }},
          {"no write beside", [&] { return !CanCreate(dir / "sibling/new"); }},
          {"no read of the repo", [&] { return CannotRead(repo + "/secret.txt"); }},
          {"no listing of the repo", [&] { return !CanList(repo); }},
          {"no listing of the build", [&] { return !CanList(build); }},
          {"no read of another target",
           [&] { return CannotRead(build + "/targets/other/out/x.txt"); }},
          {"no read through a symlink", [&] { return CannotRead(dir / "link"); }},
          {"write /dev/null", [] { return open("/dev/null", O_WRONLY) >= 0; }},
      });
  EXPECT_THAT(failed, IsEmpty());
}

TEST(RepositoryDirs, WorkTreeAndTheGitDirsItsDotGitFileNames) {
  TempDir dir;
  // A linked worktree: wt/.git names main/.git/worktrees/wt, whose commondir is main/.git.
  WriteFile(dir / "main/.git/worktrees/wt/commondir", "../..\n");
  WriteFile(dir / "wt/.git", "gitdir: " + dir.path() + "/main/.git/worktrees/wt\n");
  char real[PATH_MAX];
  ASSERT_NE(realpath(dir.path().c_str(), real), nullptr);
  const std::string r = real;
  EXPECT_THAT(sandbox::RepositoryDirs(dir / "wt"),
              ElementsAre(r + "/wt", r + "/main/.git/worktrees/wt", r + "/main/.git"));
  // A relative gitdir (submodules), without a commondir.
  WriteFile(dir / "sub/.git", "gitdir: ../main/.git/modules/sub\n");
  WriteFile(dir / "main/.git/modules/sub/HEAD", "ref: refs/heads/main\n");
  EXPECT_THAT(sandbox::RepositoryDirs(dir / "sub"),
              ElementsAre(r + "/sub", r + "/main/.git/modules/sub"));
  // A .git directory is inside the work tree already.
  EXPECT_THAT(sandbox::RepositoryDirs(dir / "main"), ElementsAre(r + "/main"));
}

}  // namespace
}  // namespace fanout::testing
