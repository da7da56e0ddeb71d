// Materialization: the sparse file set, modes and symlinks, missing blobs, the base cache and
// the in-place reset of private copies.
#include "sandbox/materialize.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "sandbox/base_cache.h"
#include "sandbox/workspace.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::BaseCache;
using sandbox::InputSelection;
using sandbox::PrepareWorkspace;
using sandbox::WorkspaceMode;
using sandbox::WorkspacePaths;

std::string Trim(std::string s) {
  s.erase(s.find_last_not_of('\n') + 1);
  return s;
}

class MaterializeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("docker/base/Dockerfile", "FROM scratch\n");
    repo_.Write("docker/base/files/a.txt", "a\n");
    repo_.Write("python/x.py", "print(1)\n");
    repo_.Write("python/tests/test_x.py", "test\n");
    repo_.Write("python/pkg/y.py", "y\n");
    repo_.Write("build-runtime.sh", "#!/bin/sh\necho hi\n");
    chmod((repo_ / "build-runtime.sh").c_str(), 0755);
    repo_.Write("Makefile", "all:\n");
    repo_.Write("unrelated/secret.txt", "s\n");
    repo_.Write("pkgs/other.txt", "o\n");
    repo_.Write("pkg/in.txt", "i\n");
    symlink("x.py", (repo_ / "python/link.py").c_str());
    repo_.Commit();
    tree_ = Trim(repo_.Git({"rev-parse", "HEAD^{tree}"}));
    oid_ = *ParseOid(tree_);
  }

  std::vector<std::string> Select(const InputSelection& sel) {
    auto repo = Repository::Open(repo_.path());
    EXPECT_TRUE(repo.ok());
    auto files = sandbox::SelectFiles(*repo, oid_, sel);
    EXPECT_TRUE(files.ok()) << (files.ok() ? "" : files.error().message);
    std::vector<std::string> paths;
    for (const TreeFile& f : *files) paths.push_back(f.path);
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  GitRepo repo_;
  std::string tree_;
  git_oid oid_;
};

TEST_F(MaterializeTest, SelectFiles_InputsPlusGlobalsMinusExcludes) {
  InputSelection sel{
      {"python/**", "!python/tests/**", "build-runtime.sh", "pkg"}, {"Makefile"}, false};
  EXPECT_EQ(Select(sel),
            (std::vector<std::string>{"Makefile", "build-runtime.sh", "pkg/in.txt",
                                      "python/link.py", "python/pkg/y.py", "python/x.py"}));
}

TEST_F(MaterializeTest, SelectFiles_FullCheckoutTakesEverything) {
  InputSelection sel{{}, {}, true};
  EXPECT_EQ(Select(sel).size(), 11u);
}

TEST_F(MaterializeTest, SelectFiles_ExcludeInGlobalsDoesNotLeakIntoInputs) {
  // A leading-wildcard pattern walks the whole tree and still picks only matches.
  InputSelection sel{{"**/*.txt", "!unrelated/**"}, {}, false};
  EXPECT_EQ(Select(sel),
            (std::vector<std::string>{"docker/base/files/a.txt", "pkg/in.txt", "pkgs/other.txt"}));
}

TEST_F(MaterializeTest, WriteFiles_KeepsModesAndSymlinks) {
  TempDir out;
  auto repo = Repository::Open(repo_.path());
  auto files = sandbox::SelectFiles(*repo, oid_, InputSelection{{}, {}, true});
  ASSERT_TRUE(files.ok());
  auto st = sandbox::WriteFiles({repo_.path(), ""}, *files, out / "ws", 2);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->files, 11u);
  struct stat s;
  ASSERT_EQ(lstat((out / "ws/build-runtime.sh").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0755u);
  ASSERT_EQ(lstat((out / "ws/Makefile").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0644u);
  ASSERT_EQ(lstat((out / "ws/python/link.py").c_str(), &s), 0);
  EXPECT_TRUE(S_ISLNK(s.st_mode));
  char buf[64] = {};
  ASSERT_GT(readlink((out / "ws/python/link.py").c_str(), buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "x.py");
  EXPECT_EQ(ReadFile(out / "ws/docker/base/files/a.txt"), "a\n");
  // The repository's index is never touched.
  EXPECT_EQ(repo_.Git({"status", "--porcelain"}), "");
}

TEST_F(MaterializeTest, WriteFiles_WithTheCallersRepositoryWritesTheSameFiles) {
  auto repo = Repository::Open(repo_.path());
  ASSERT_TRUE(repo.ok());
  auto files = sandbox::SelectFiles(*repo, oid_, InputSelection{{}, {}, true});
  ASSERT_TRUE(files.ok());
  // One thread (the caller's, with its repository), and three (the caller's and two more,
  // each with its own).
  for (int threads : {1, 3}) {
    TempDir out;
    auto st = sandbox::WriteFiles({repo_.path(), ""}, *files, out / "ws", threads, &*repo);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->files, 11u) << threads;
    EXPECT_EQ(ReadFile(out / "ws/docker/base/files/a.txt"), "a\n");
    struct stat s;
    ASSERT_EQ(lstat((out / "ws/python/link.py").c_str(), &s), 0);
    EXPECT_TRUE(S_ISLNK(s.st_mode));
  }
}

TEST_F(MaterializeTest, WriteFiles_MissingBlobNamesPathAndObject) {
  const std::string blob = Trim(repo_.Git({"rev-parse", "HEAD:python/x.py"}));
  // Loose objects: delete the blob's file, as a partial clone would lack it.
  ASSERT_EQ(unlink((repo_ / (".git/objects/" + blob.substr(0, 2) + "/" + blob.substr(2))).c_str()),
            0);
  TempDir out;
  auto repo = Repository::Open(repo_.path());
  auto files = sandbox::SelectFiles(*repo, oid_, InputSelection{{"python/**"}, {}, false});
  ASSERT_TRUE(files.ok());
  auto st = sandbox::WriteFiles({repo_.path(), ""}, *files, out / "ws", 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("'python/x.py'"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find(blob), std::string::npos) << st.error().message;
  EXPECT_EQ(st.error().exit_code, kExitGit);
}

TEST_F(MaterializeTest, BaseCache_WarmAcquireDoesNotRewrite) {
  TempDir build;
  BaseCache cache(build / "bases");
  InputSelection sel{{"python/**"}, {"Makefile"}, false};
  auto cold = cache.Acquire({repo_.path(), ""}, oid_, sel);
  ASSERT_TRUE(cold.ok()) << cold.error().message;
  EXPECT_TRUE(cold->created());
  struct stat before, after;
  ASSERT_EQ(stat((cold->dir() + "/python/x.py").c_str(), &before), 0);
  EXPECT_FALSE(Exists(cold->dir() + "/docker"));
  auto warm = cache.Acquire({repo_.path(), ""}, oid_, sel);
  ASSERT_TRUE(warm.ok());
  EXPECT_FALSE(warm->created());
  EXPECT_EQ(warm->dir(), cold->dir());
  ASSERT_EQ(stat((warm->dir() + "/python/x.py").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_ctim.tv_nsec, after.st_ctim.tv_nsec);
  // The key ignores pattern order, and differs for another selection.
  EXPECT_EQ(BaseCache::Key(oid_, InputSelection{{"python/**"}, {"Makefile"}, false}),
            BaseCache::Key(oid_, InputSelection{{"python/**"}, {"Makefile"}, false}));
  EXPECT_NE(BaseCache::Key(oid_, sel), BaseCache::Key(oid_, InputSelection{{}, {}, true}));
  auto manifest = warm->ReadManifest();
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->size(), 5u);  // Makefile, link.py, pkg/y.py, tests/test_x.py, x.py
}

TEST_F(MaterializeTest, BaseCache_GarbageCollectionSparesLeasesAndKeptKeys) {
  TempDir build;
  BaseCache cache(build / "bases");
  auto a = cache.Acquire({repo_.path(), ""}, oid_, InputSelection{{"python/**"}, {}, false});
  {
    auto b = cache.Acquire({repo_.path(), ""}, oid_, InputSelection{{"docker/**"}, {}, false});
    ASSERT_TRUE(b.ok());
  }
  auto c = cache.Acquire({repo_.path(), ""}, oid_, InputSelection{{"pkg"}, {}, false});
  ASSERT_TRUE(a.ok() && c.ok());
  EXPECT_EQ(cache.Count(), 3u);
  cache.CollectGarbage({c->key()}, 0);
  // b is neither leased nor kept: gone. a is leased: stays. c is kept.
  EXPECT_EQ(cache.Count(), 2u);
  EXPECT_TRUE(Exists(a->dir()));
  EXPECT_TRUE(Exists(c->dir()));
}

TEST_F(MaterializeTest, BaseCache_CountExceedsAgreesWithTheCountAroundItsLimit) {
  TempDir build;
  BaseCache cache(build / "bases");
  EXPECT_FALSE(cache.CountExceeds(0));  // no cache directory yet
  auto a = cache.Acquire({repo_.path(), ""}, oid_, InputSelection{{"python/**"}, {}, false});
  auto b = cache.Acquire({repo_.path(), ""}, oid_, InputSelection{{"docker/**"}, {}, false});
  ASSERT_TRUE(a.ok() && b.ok());
  // What is not a base: an interrupted materialization's directory (it adds to the link
  // count, so the count is listed), a manifest's leftover and a stray file.
  ASSERT_EQ(mkdir((build / "bases/.tmp-interrupted").c_str(), 0755), 0);
  WriteFile(build / "bases/stray", "x");
  WriteFile(build / "bases/0123.manifest", "x");
  ASSERT_EQ(cache.Count(), 2u);
  for (std::size_t limit = 0; limit < 5; ++limit) {
    EXPECT_EQ(cache.CountExceeds(limit), limit < 2) << "limit " << limit;
  }
}

class WorkspaceTest : public MaterializeTest {
 protected:
  void SetUp() override {
    MaterializeTest::SetUp();
    cache_ = std::make_unique<BaseCache>(build_ / ".fanout/bases");
    auto base = cache_->Acquire({repo_.path(), ""}, oid_,
                                InputSelection{{"python/**", "build-runtime.sh"}, {}, false});
    ASSERT_TRUE(base.ok());
    base_ = std::make_unique<sandbox::BaseLease>(std::move(*base));
    ws_ = WorkspacePaths::For(build_.path(), "t");
  }
  TempDir build_;
  std::unique_ptr<BaseCache> cache_;
  std::unique_ptr<sandbox::BaseLease> base_;
  WorkspacePaths ws_;
};

TEST_F(WorkspaceTest, CopyReset_WarmRewritesNothing) {
  auto first = PrepareWorkspace(ws_, *base_, WorkspaceMode::kCopy);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->files_written, 5u);
  struct stat before, after;
  ASSERT_EQ(lstat((ws_.src + "/python/x.py").c_str(), &before), 0);
  auto second = PrepareWorkspace(ws_, *base_, WorkspaceMode::kCopy);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->files_written, 0u);
  EXPECT_EQ(second->files_removed, 0u);
  ASSERT_EQ(lstat((ws_.src + "/python/x.py").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(before.st_ctim.tv_sec, after.st_ctim.tv_sec);
  EXPECT_EQ(before.st_ctim.tv_nsec, after.st_ctim.tv_nsec);
  struct stat exe;
  ASSERT_EQ(lstat((ws_.src + "/build-runtime.sh").c_str(), &exe), 0);
  EXPECT_EQ(exe.st_mode & 0777, 0755u);
}

TEST_F(WorkspaceTest, CopyReset_UndoesEveryChangeAndReportsIt) {
  ASSERT_TRUE(PrepareWorkspace(ws_, *base_, WorkspaceMode::kCopy).ok());
  // What a command might do: edit (keeping size and mtime), chmod, delete, add, replace a file
  // by a directory.
  WriteFile(ws_.src + "/python/x.py", "print(2)\n");
  chmod((ws_.src + "/build-runtime.sh").c_str(), 0644);
  unlink((ws_.src + "/python/pkg/y.py").c_str());
  WriteFile(ws_.src + "/new/deep/file.o", "obj");
  unlink((ws_.src + "/python/tests/test_x.py").c_str());
  WriteFile(ws_.src + "/python/tests/test_x.py/inner", "dir now");
  auto changes = sandbox::ScanChanges(ws_, *base_, WorkspaceMode::kCopy);
  ASSERT_TRUE(changes.ok());
  // A file replaced by a directory counts as written at its own path.
  EXPECT_EQ(changes->written, (std::vector<std::string>{"build-runtime.sh", "new/deep/file.o",
                                                        "python/tests/test_x.py", "python/x.py"}));
  EXPECT_EQ(changes->deleted, (std::vector<std::string>{"python/pkg/y.py"}));

  auto reset = PrepareWorkspace(ws_, *base_, WorkspaceMode::kCopy);
  ASSERT_TRUE(reset.ok()) << reset.error().message;
  EXPECT_EQ(reset->files_written, 4u);  // x.py, build-runtime.sh, y.py, test_x.py
  EXPECT_EQ(ReadFile(ws_.src + "/python/x.py"), "print(1)\n");
  EXPECT_EQ(ReadFile(ws_.src + "/python/pkg/y.py"), "y\n");
  EXPECT_EQ(ReadFile(ws_.src + "/python/tests/test_x.py"), "test\n");
  EXPECT_FALSE(Exists(ws_.src + "/new"));
  struct stat exe;
  ASSERT_EQ(lstat((ws_.src + "/build-runtime.sh").c_str(), &exe), 0);
  EXPECT_EQ(exe.st_mode & 0777, 0755u);
  auto clean = sandbox::ScanChanges(ws_, *base_, WorkspaceMode::kCopy);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->written.empty());
  EXPECT_TRUE(clean->deleted.empty());
}

TEST_F(WorkspaceTest, CopyReset_NewTreeRewritesOnlyChangedFiles) {
  ASSERT_TRUE(PrepareWorkspace(ws_, *base_, WorkspaceMode::kCopy).ok());
  struct stat before, after;
  ASSERT_EQ(lstat((ws_.src + "/python/pkg/y.py").c_str(), &before), 0);
  repo_.Write("python/x.py", "print(3)\n");
  repo_.Commit("edit");
  auto oid = *ParseOid(Trim(repo_.Git({"rev-parse", "HEAD^{tree}"})));
  auto base2 = cache_->Acquire({repo_.path(), ""}, oid,
                               InputSelection{{"python/**", "build-runtime.sh"}, {}, false});
  ASSERT_TRUE(base2.ok());
  auto st = PrepareWorkspace(ws_, *base2, WorkspaceMode::kCopy);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->files_written, 1u);
  EXPECT_EQ(ReadFile(ws_.src + "/python/x.py"), "print(3)\n");
  ASSERT_EQ(lstat((ws_.src + "/python/pkg/y.py").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
}

TEST_F(WorkspaceTest, Overlay_PrepareEmptiesLayersAndLeavesBaseAlone) {
  ASSERT_TRUE(PrepareWorkspace(ws_, *base_, WorkspaceMode::kCopy).ok());
  WriteFile(ws_.upper + "/stale.o", "x");
  WriteFile(ws_.home + "/.cache/x", "x");
  auto st = PrepareWorkspace(ws_, *base_, WorkspaceMode::kOverlay);
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(Exists(ws_.upper + "/stale.o"));
  EXPECT_FALSE(Exists(ws_.home + "/.cache"));
  EXPECT_FALSE(Exists(ws_.src + "/python"));  // an empty mount point, not a stale copy
  EXPECT_TRUE(Exists(base_->dir() + "/python/x.py"));
}

}  // namespace
}  // namespace fanout::testing
