// Artifact collection: lookup order, glob and directory patterns, and every way a path could
// leave the workspace.
#include "sandbox/artifacts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "src/file_util.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::CollectArtifacts;
using sandbox::CollectOutcome;

class ArtifactsTest : public ::testing::Test {
 protected:
  std::string ws() const { return dir_ / "ws"; }
  std::string out() const { return dir_ / "out"; }
  void SetUp() override {
    mkdir(ws().c_str(), 0755);
    mkdir(out().c_str(), 0755);
  }
  CollectOutcome Collect(const std::vector<std::string>& patterns) {
    return CollectArtifacts(ws(), out(), patterns);
  }
  static bool Mentions(const CollectOutcome& o, const std::string& text) {
    for (const std::string& e : o.errors) {
      if (e.find(text) != std::string::npos) return true;
    }
    return false;
  }
  TempDir dir_;
};

TEST_F(ArtifactsTest, OutDirWinsOverWorkspace) {
  WriteFile(out() + "/app.tar", "from-out");
  WriteFile(ws() + "/app.tar", "from-ws");
  CollectOutcome o = Collect({"app.tar"});
  EXPECT_TRUE(o.errors.empty());
  EXPECT_EQ(o.paths, std::vector<std::string>{"app.tar"});
  EXPECT_EQ(ReadFile(out() + "/app.tar"), "from-out");
}

TEST_F(ArtifactsTest, WorkspaceMatchIsCopiedWithExecBit) {
  WriteFile(ws() + "/bin/tool", "#!/bin/sh\n");
  chmod((ws() + "/bin/tool").c_str(), 0755);
  CollectOutcome o = Collect({"bin/tool"});
  ASSERT_TRUE(o.errors.empty()) << o.errors[0];
  struct stat st;
  ASSERT_EQ(lstat((out() + "/bin/tool").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST_F(ArtifactsTest, GlobAndDirectoryPatternsWithExcludes) {
  WriteFile(ws() + "/dist/a.whl", "a");
  WriteFile(ws() + "/dist/b.whl", "b");
  WriteFile(ws() + "/dist/notes.txt", "n");
  WriteFile(ws() + "/site/index.html", "i");
  WriteFile(ws() + "/site/map/x.map", "m");
  CollectOutcome o = Collect({"dist/*.whl", "site", "!site/**/*.map"});
  ASSERT_TRUE(o.errors.empty()) << o.errors[0];
  EXPECT_EQ(o.paths, (std::vector<std::string>{"dist/a.whl", "dist/b.whl", "site/index.html"}));
}

TEST_F(ArtifactsTest, UndeclaredOutputsAreRemoved) {
  WriteFile(out() + "/keep.txt", "k");
  WriteFile(out() + "/junk/tmp.o", "j");
  CollectOutcome o = Collect({"keep.txt"});
  EXPECT_TRUE(o.errors.empty());
  EXPECT_EQ(o.removed, std::vector<std::string>{"junk/tmp.o"});
  EXPECT_FALSE(Exists(out() + "/junk/tmp.o"));
}

TEST_F(ArtifactsTest, MissingArtifactIsAnError) {
  CollectOutcome o = Collect({"nothere.tar"});
  EXPECT_TRUE(Mentions(o, "artifact 'nothere.tar' was not produced"));
}

TEST_F(ArtifactsTest, EscapingPathsAreRejected) {
  WriteFile(dir_ / "outside.txt", "secret");
  for (const char* p : {"../outside.txt", "/etc/passwd", "a/../../outside.txt"}) {
    CollectOutcome o = Collect({p});
    EXPECT_TRUE(Mentions(o, "escapes the workspace")) << p;
    EXPECT_TRUE(o.paths.empty()) << p;
  }
}

TEST_F(ArtifactsTest, SymlinkToEtcPasswdIsRejectedInBothPlaces) {
  symlink("/etc/passwd", (out() + "/passwd").c_str());
  symlink("/etc/passwd", (ws() + "/leak").c_str());
  symlink("../../outside.txt", (ws() + "/rel").c_str());
  CollectOutcome o = Collect({"passwd", "leak", "rel"});
  EXPECT_EQ(o.errors.size(), 3u);
  EXPECT_TRUE(
      Mentions(o, "'passwd' in $FANOUT_OUT is a symlink that points outside it (-> /etc/passwd)"));
  EXPECT_TRUE(Mentions(o, "'leak' in the workspace is a symlink that points outside it"));
  EXPECT_TRUE(Mentions(o, "'rel' in the workspace is a symlink"));
  EXPECT_FALSE(Exists(out() + "/leak"));
  EXPECT_TRUE(o.paths.empty());
}

TEST_F(ArtifactsTest, SymlinkedDirectoryOutsideIsRejected) {
  symlink("/etc", (ws() + "/etcdir").c_str());
  CollectOutcome o = Collect({"etcdir/passwd"});
  EXPECT_TRUE(Mentions(o, "points outside"));
  EXPECT_FALSE(Exists(out() + "/etcdir"));
}

TEST_F(ArtifactsTest, SymlinkInsideIsCollectedAsRegularFile) {
  WriteFile(ws() + "/real.txt", "real");
  symlink("real.txt", (ws() + "/alias.txt").c_str());
  symlink("../ws/real.txt", (out() + "/o.txt").c_str());  // leaves out/: rejected
  CollectOutcome o = Collect({"alias.txt"});
  ASSERT_TRUE(o.errors.empty()) << o.errors[0];
  struct stat st;
  ASSERT_EQ(lstat((out() + "/alias.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(ReadFile(out() + "/alias.txt"), "real");
  EXPECT_EQ(o.removed, std::vector<std::string>{"o.txt"});
}

TEST_F(ArtifactsTest, DestinationSymlinkInOutCannotRedirectACopy) {
  // A planted out/dist -> /tmp/elsewhere must not make a workspace artifact land outside.
  TempDir elsewhere;
  symlink(elsewhere.path().c_str(), (out() + "/dist").c_str());
  WriteFile(ws() + "/dist/app", "app");
  CollectOutcome o = Collect({"dist/app"});
  EXPECT_FALSE(Exists(elsewhere / "app"));
}

TEST_F(ArtifactsTest, HashArtifacts_SizesAndDigests) {
  WriteFile(out() + "/a.bin", "hello\n");
  auto h = sandbox::HashArtifacts(out(), {"a.bin"});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].size, 6u);
  EXPECT_EQ((*h)[0].sha256, Sha256Hex("hello\n"));
  symlink("a.bin", (out() + "/l.bin").c_str());
  EXPECT_FALSE(sandbox::HashArtifacts(out(), {"l.bin"}).ok());
}

TEST_F(ArtifactsTest, OutcomeJsonRoundTrips) {
  CollectOutcome o{{"a", "b/c"}, {"err \"quoted\""}, {"x"}};
  auto back = sandbox::CollectOutcomeFromJson(sandbox::CollectOutcomeToJson(o));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->paths, o.paths);
  EXPECT_EQ(back->errors, o.errors);
  EXPECT_EQ(back->removed, o.removed);
  EXPECT_FALSE(sandbox::CollectOutcomeFromJson("garbage").ok());
}

}  // namespace
}  // namespace fanout::testing
