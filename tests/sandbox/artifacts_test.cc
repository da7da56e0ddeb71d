// Artifact collection: lookup order, glob and directory patterns, every way a path could
// leave the workspace, and what a collected file may not carry (setuid bits, capabilities, a
// FIFO or device in place of a file).
#include "sandbox/artifacts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::ArtifactProtections;
using sandbox::CollectArtifacts;
using sandbox::CollectOutcome;

// Everything collection reported, as one text to search for leaked names.
std::string AllText(const CollectOutcome& o) {
  std::string text;
  for (const auto* list : {&o.paths, &o.errors, &o.removed}) {
    for (const std::string& s : *list) text += s + "\n";
  }
  return text;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  lstat(path.c_str(), &st);
  return st.st_mode;
}

class ArtifactsTest : public ::testing::Test {
 protected:
  std::string ws() const { return dir_ / "ws"; }
  std::string out() const { return dir_ / "out"; }
  void SetUp() override {
    mkdir(ws().c_str(), 0755);
    mkdir(out().c_str(), 0755);
  }
  CollectOutcome Collect(const std::vector<std::string>& patterns,
                         ArtifactProtections prot = ArtifactProtections{}) {
    return CollectArtifacts(ws(), out(), patterns, prot);
  }
  // The positive controls: collection without one protection, as before it existed.
  static ArtifactProtections FollowingSymlinkedDirs() { return {false, true}; }
  static ArtifactProtections KeepingPrivileges() { return {true, false}; }
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

TEST_F(ArtifactsTest, SymlinkedPrefixListsNoNameFromOutside) {
  // A hidden directory (think: the repository's .git, or another target's files) and a
  // symlink to it planted in $FANOUT_OUT and in the workspace.
  TempDir hidden;
  WriteFile(hidden / "hidden-secret-name.txt", "s");
  WriteFile(hidden / "sub/another-secret-name", "s");
  symlink(hidden.path().c_str(), (out() + "/x").c_str());
  symlink(hidden.path().c_str(), (ws() + "/y").c_str());
  // The attack is real: the symlink resolves there, and a walk that follows it sees the names.
  std::string listed;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out() + "/x")) {
    listed += e.path().string() + "\n";
  }
  ASSERT_NE(listed.find("hidden-secret-name.txt"), std::string::npos) << listed;
  ASSERT_NE(listed.find("another-secret-name"), std::string::npos) << listed;
  CollectOutcome naive = Collect({"x/**", "y/*"}, FollowingSymlinkedDirs());
  EXPECT_NE(AllText(naive).find("hidden-secret-name"), std::string::npos) << AllText(naive);
  symlink(hidden.path().c_str(), (out() + "/x").c_str());  // swept by that run

  CollectOutcome o = Collect({"x/**", "y/*", "x/sub/another-secret-name", "x"});
  const std::string text = AllText(o);
  EXPECT_EQ(text.find("hidden-secret-name"), std::string::npos) << text;
  EXPECT_TRUE(Mentions(o, "artifact 'x/**' in $FANOUT_OUT goes through the symlink 'x'")) << text;
  EXPECT_TRUE(Mentions(o, "artifact 'y/*' in the workspace goes through the symlink 'y'")) << text;
  // The symlink itself as an artifact: refused as before, naming only where it points.
  EXPECT_TRUE(Mentions(o, "artifact 'x' in $FANOUT_OUT is a symlink that points outside it"))
      << text;
  EXPECT_TRUE(o.paths.empty());
  EXPECT_TRUE(Exists(hidden / "hidden-secret-name.txt"));  // the sweep did not follow it either
}

TEST_F(ArtifactsTest, SymlinkedDirectoryInsideIsNotFollowedEither) {
  // Even a symlink that stays inside is not a directory of artifacts: only a path of real
  // directories is, so the rule needs no knowledge of where a link points.
  WriteFile(out() + "/real/a.txt", "a");
  EXPECT_TRUE(Collect({"real/*.txt"}).errors.empty());
  symlink("real", (out() + "/alias").c_str());
  CollectOutcome o = Collect({"alias/*.txt", "alias/a.txt"});
  EXPECT_TRUE(Mentions(o, "'alias/*.txt' in $FANOUT_OUT goes through the symlink 'alias'"));
  EXPECT_TRUE(Mentions(o, "'alias/a.txt' in $FANOUT_OUT goes through the symlink 'alias'"));
  EXPECT_TRUE(o.paths.empty());
}

TEST_F(ArtifactsTest, SetuidSetgidAndGroupWriteAreStripped) {
  WriteFile(out() + "/tool", "#!/bin/sh\n");
  ASSERT_EQ(chmod((out() + "/tool").c_str(), 06775), 0);
  WriteFile(ws() + "/copied", "#!/bin/sh\n");
  ASSERT_EQ(chmod((ws() + "/copied").c_str(), 04755), 0);
  // Positive control: without the protection the bits reach the host's out/.
  ASSERT_EQ(ModeOf(out() + "/tool") & 07777, 06775u);
  CollectOutcome naive = Collect({"tool"}, KeepingPrivileges());
  ASSERT_TRUE(naive.errors.empty()) << naive.errors[0];
  EXPECT_EQ(ModeOf(out() + "/tool") & 07777, 06775u);

  CollectOutcome o = Collect({"tool", "copied"});
  ASSERT_TRUE(o.errors.empty()) << o.errors[0];
  EXPECT_EQ(ModeOf(out() + "/tool") & 07777, 0755u);
  EXPECT_EQ(ModeOf(out() + "/copied") & 07777, 0755u);
  EXPECT_EQ(ReadFile(out() + "/tool"), "#!/bin/sh\n");
}

TEST_F(ArtifactsTest, HardLinkedArtifactIsCopiedNotChangedInPlace) {
  // A file in out/ hard-linked to one elsewhere: stripping its bits in place would change the
  // other name too (a host binary, a repository file).
  WriteFile(dir_ / "elsewhere", "x");
  ASSERT_EQ(chmod((dir_ / "elsewhere").c_str(), 04755), 0);
  ASSERT_EQ(link((dir_ / "elsewhere").c_str(), (out() + "/linked").c_str()), 0);
  CollectOutcome o = Collect({"linked"});
  ASSERT_TRUE(o.errors.empty()) << o.errors[0];
  EXPECT_EQ(ModeOf(out() + "/linked") & 07777, 0755u);
  EXPECT_EQ(ModeOf(dir_ / "elsewhere") & 07777, 04755u);
  EXPECT_EQ(ReadFile(out() + "/linked"), "x");
}

TEST_F(ArtifactsTest, FileCapabilityIsRemoved) {
  if (geteuid() != 0) GTEST_SKIP() << "setting security.capability needs CAP_SETFCAP (root)";
  WriteFile(out() + "/tool", "x");
  // struct vfs_cap_data, revision 2, effective: cap_net_raw (13) permitted.
  const std::uint32_t cap[5] = {0x02000000 | 0x1, 1u << 13, 0, 0, 0};
  auto set_cap = [&] {
    int fd = open((out() + "/tool").c_str(), O_RDONLY | O_CLOEXEC);
    int rc = fsetxattr(fd, "security.capability", cap, sizeof cap, 0);
    close(fd);
    return rc == 0;
  };
  auto has_cap = [&] {
    char buf[64];
    return getxattr((out() + "/tool").c_str(), "security.capability", buf, sizeof buf) > 0;
  };
  if (!set_cap()) GTEST_SKIP() << "this file system does not take security.capability";
  ASSERT_TRUE(has_cap());
  CollectOutcome naive = Collect({"tool"}, KeepingPrivileges());
  ASSERT_TRUE(naive.errors.empty()) << naive.errors[0];
  EXPECT_TRUE(has_cap());  // positive control: kept without the protection

  CollectOutcome o = Collect({"tool"});
  ASSERT_TRUE(o.errors.empty()) << o.errors[0];
  EXPECT_FALSE(has_cap());
  EXPECT_EQ(errno, ENODATA);
  EXPECT_EQ(ReadFile(out() + "/tool"), "x");
}

TEST_F(ArtifactsTest, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo((out() + "/p").c_str(), 0644), 0);
  ASSERT_EQ(mkfifo((ws() + "/q").c_str(), 0644), 0);
  ASSERT_TRUE(S_ISFIFO(ModeOf(out() + "/p")));
  // Bounded: were the FIFO opened for reading without O_NONBLOCK, collection would wait for a
  // writer; the writer opened below then releases it and the test fails instead of hanging.
  auto done = std::async(std::launch::async, [&] { return Collect({"p", "q", "*"}); });
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    for (const char* f : {"/p", "/q"}) {
      int w = open((std::string(f) == "/p" ? out() + f : ws() + f).c_str(),
                   O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (w >= 0) close(w);
    }
    done.wait();
    FAIL() << "collection blocked on a FIFO";
  }
  CollectOutcome o = done.get();
  EXPECT_TRUE(Mentions(o, "artifact 'p' in $FANOUT_OUT is a FIFO; artifacts must be regular files"))
      << AllText(o);
  EXPECT_TRUE(Mentions(o, "artifact 'q' in the workspace is a FIFO")) << AllText(o);
  EXPECT_TRUE(o.paths.empty());
  EXPECT_FALSE(Exists(out() + "/p"));  // swept like any undeclared entry
  EXPECT_EQ(o.removed, std::vector<std::string>{"p"});
}

TEST_F(ArtifactsTest, DeviceNodeIsRefusedAndSwept) {
  if (geteuid() != 0) GTEST_SKIP() << "mknod of a character device needs CAP_MKNOD (root)";
  if (mknod((out() + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0 ||
      mknod((out() + "/stray").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "mknod failed here: " << std::strerror(errno);
  }
  ASSERT_TRUE(S_ISCHR(ModeOf(out() + "/null")));
  CollectOutcome o = Collect({"null"});
  EXPECT_TRUE(Mentions(o,
                       "artifact 'null' in $FANOUT_OUT is a character device; artifacts must "
                       "be regular files"))
      << AllText(o);
  EXPECT_TRUE(o.paths.empty());
  EXPECT_FALSE(Exists(out() + "/null"));
  EXPECT_FALSE(Exists(out() + "/stray"));
}

TEST_F(ArtifactsTest, SweepNeverFollowsSymlinks) {
  TempDir elsewhere;
  WriteFile(elsewhere / "victim.txt", "v");
  WriteFile(out() + "/keep.txt", "k");
  symlink(elsewhere.path().c_str(), (out() + "/dir-link").c_str());
  symlink((elsewhere / "victim.txt").c_str(), (out() + "/file-link").c_str());
  CollectOutcome o = Collect({"keep.txt"});
  EXPECT_TRUE(o.errors.empty());
  EXPECT_EQ(o.removed, (std::vector<std::string>{"dir-link", "file-link"}));
  EXPECT_TRUE(Exists(elsewhere / "victim.txt"));
  EXPECT_EQ(ReadFile(elsewhere / "victim.txt"), "v");
}

TEST_F(ArtifactsTest, NonUtf8NamesAreRefusedAndReportedAsValidJson) {
  const std::string bad = "bad\xff\xfe.bin";
  WriteFile(out() + "/" + bad, "b");
  WriteFile(out() + "/caf\xc3\xa9.bin", "c");
  CollectOutcome o = Collect({"*.bin"});
  EXPECT_EQ(o.paths, std::vector<std::string>{"caf\xc3\xa9.bin"});
  EXPECT_TRUE(Mentions(o,
                       "artifact 'bad\\xff\\xfe.bin' in $FANOUT_OUT: the name is not valid "
                       "UTF-8"))
      << AllText(o);
  EXPECT_FALSE(Exists(out() + "/" + bad));
  auto back = sandbox::CollectOutcomeFromJson(sandbox::CollectOutcomeToJson(o));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->paths, o.paths);
  EXPECT_EQ(back->errors, o.errors);
  auto hashed = sandbox::HashArtifacts(out(), back->paths);
  EXPECT_TRUE(hashed.ok());
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
