// git/object_store.h: a work-tree snapshot never writes into the repository, not even the
// mtime of an object it already has ("freshening"); its objects go to the store it was given,
// where a later process of the build reads them. The positive controls show libgit2's own
// object database doing both writes for the same files.
#include "git/object_store.h"

#include <git2.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <boost/filesystem.hpp>
#include <map>

#include "git/git.h"
#include "git/source.h"
#include "test_util.h"

namespace fanout {
namespace {

namespace fs = boost::filesystem;
using fanout::testing::GitRepo;
using fanout::testing::TempDir;

/// Every file under `dir` with its mtime (seconds and nanoseconds).
std::map<std::string, std::pair<long, long>> Listing(const std::string& dir) {
  std::map<std::string, std::pair<long, long>> out;
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) == 0) {
      out[it->path().string()] = {st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    }
  }
  return out;
}

/// Sets every file under `dir` to an old mtime, so that a touch shows.
void Age(const std::string& dir) {
  struct utimbuf old = {1000000000, 1000000000};
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    utime(it->path().c_str(), &old);
  }
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("tracked.txt", "committed\n");
    repo_.Write("dir/kept.txt", "kept\n");
    repo_.Commit("first");
    // Loose objects only (no pack), so every object the commit has is a file to watch.
    repo_.Write("tracked.txt", "edited, never committed\n");
    repo_.Write("untracked.txt", "new file\n");
    repo_.Write("copy.txt", "kept\n");  // the content of a blob the repository has
    Age(repo_ / ".git/objects");
  }
  GitRepo repo_;
  TempDir build_;
};

TEST_F(ObjectStoreTest, PositiveControlLibgit2sOwnDatabaseWritesAndFreshens) {
  const auto before = Listing(repo_ / ".git/objects");
  git_repository* raw = nullptr;
  EnsureLibgit2();
  ASSERT_EQ(git_repository_open(&raw, repo_.path().c_str()), 0);
  RepositoryPtr plain(raw);
  git_oid id;
  ASSERT_EQ(git_blob_create_from_workdir(&id, plain.get(), "untracked.txt"), 0);
  ASSERT_EQ(git_blob_create_from_workdir(&id, plain.get(), "copy.txt"), 0);
  const auto after = Listing(repo_ / ".git/objects");
  EXPECT_GT(after.size(), before.size()) << "a new blob file in .git/objects";
  int touched = 0;
  for (const auto& [path, mtime] : before) {
    auto it = after.find(path);
    if (it != after.end() && it->second != mtime) ++touched;
  }
  EXPECT_GT(touched, 0) << "the existing blob (copy.txt's content) freshened";
}

TEST_F(ObjectStoreTest, AWorkTreeSnapshotLeavesTheRepositoryUntouched) {
  const auto before = Listing(repo_ / ".git");
  const std::string store = build_ / ".fanout/objects";
  auto repo = Repository::Open(repo_.path(), store);
  ASSERT_TRUE(repo.ok()) << repo.error().message;
  auto state = ResolveSource(*repo, "worktree", "--source");
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(Listing(repo_ / ".git"), before)
      << "no file added to, or touched in, the repository's git directory";
  EXPECT_FALSE(Listing(store).empty()) << "the snapshot's objects are in the build's store";

  // Another process of the build (a fresh handle on the same store) reads the snapshot.
  auto reader = Repository::Open(RepoLocation{repo_.path(), store});
  ASSERT_TRUE(reader.ok());
  auto text = reader->ReadFileAt(SourceTree(*state), "tracked.txt");
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->value_or(""), "edited, never committed\n");
  auto kept = reader->ReadFileAt(SourceTree(*state), "dir/kept.txt");
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(kept->value_or(""), "kept\n") << "objects of the repository are read through it";

  // Without the store, the snapshot's new objects are not there.
  auto without = Repository::Open(repo_.path());
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->ReadFileAt(SourceTree(*state), "tracked.txt").ok());
}

TEST_F(ObjectStoreTest, WithoutAStoreTheSnapshotIsKeptInMemory) {
  const auto before = Listing(repo_ / ".git");
  auto repo = Repository::Open(repo_.path());
  ASSERT_TRUE(repo.ok());
  auto state = ResolveSource(*repo, "worktree", "--head");
  ASSERT_TRUE(state.ok()) << state.error().message;
  auto text = repo->ReadFileAt(SourceTree(*state), "untracked.txt");
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->value_or(""), "new file\n");
  EXPECT_EQ(Listing(repo_ / ".git"), before);
}

TEST_F(ObjectStoreTest, ObjectsOfAnAlternateAreRead) {
  TempDir other;
  const std::string clone = other / "clone";
  repo_.Git({"clone", "-q", "--shared", repo_.path(), clone});
  ASSERT_TRUE(fs::exists(clone + "/.git/objects/info/alternates"));
  auto repo = Repository::Open(clone);
  ASSERT_TRUE(repo.ok()) << repo.error().message;
  auto head = ResolveSource(*repo, "HEAD", "--source");
  ASSERT_TRUE(head.ok()) << head.error().message;
  auto kept = repo->ReadFileAt(SourceTree(*head), "dir/kept.txt");
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(kept->value_or(""), "kept\n");
}

}  // namespace
}  // namespace fanout
