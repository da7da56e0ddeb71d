// The capability probe, the tier choice, and fanout doctor.
#include "sandbox/probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

using sandbox::ChooseTier;
using sandbox::ProbeResult;
using sandbox::Tier;

TEST(Probe, RunsAndRoundTripsThroughJson) {
  TempDir scratch;
  ProbeResult p = sandbox::RunProbe(scratch / "p");
  EXPECT_FALSE(p.kernel.empty());
  EXPECT_FALSE(Exists(scratch / "p"));  // cleans up after itself
  EXPECT_EQ(p.namespaces, p.namespaces_unavailable.empty());
  if (!p.namespaces)
    std::printf("note: namespaces unavailable here: %s\n", p.namespaces_unavailable.c_str());
  auto back = sandbox::ProbeFromJson(sandbox::ProbeToJson(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(sandbox::ProbeToJson(*back), sandbox::ProbeToJson(p));
}

TEST(Probe, CachedProbeIsReusedOnTheSameBoot) {
  TempDir dir;
  ProbeResult first = sandbox::CachedProbe(dir / "scratch", dir / "probe.json");
  std::string text = ReadFile(dir / "probe.json");
  ASSERT_FALSE(text.empty());
  // A doctored cache entry proves the second call does not probe again.
  std::string doctored = text;
  doctored.replace(doctored.find("\"kernel\": \""), 11, "\"kernel\": \"cached-");
  WriteFile(dir / "probe.json", doctored);
  ProbeResult second = sandbox::CachedProbe(dir / "scratch", dir / "probe.json");
  EXPECT_EQ(second.kernel, "cached-" + first.kernel);
}

// Marks every entry of a cache file as cached (its kernel is "cached-...").
std::string Doctored(std::string text) {
  const std::string key = "\"kernel\": \"";
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    text.replace(at, key.size(), key + "cached-");
  }
  return text;
}

TEST(Probe, CacheKeepsAnEntryForEachStampInUse) {
  // Workspaces on two file systems give two stamps (the stamp names the file system).
  TempDir dir;
  char shm_template[] = "/dev/shm/fanout-probe-test.XXXXXX";
  ASSERT_NE(mkdtemp(shm_template), nullptr) << "cannot make a directory in /dev/shm";
  const std::string other = shm_template;
  struct stat a = {}, b = {};
  ASSERT_EQ(stat(dir.path().c_str(), &a), 0);
  ASSERT_EQ(stat(other.c_str(), &b), 0);
  ASSERT_NE(a.st_dev, b.st_dev) << "the test needs /dev/shm on another file system than "
                                << dir.path();
  const std::string cache = dir / "probe.json";
  ProbeResult here = sandbox::CachedProbe(dir / "scratch", cache);
  sandbox::CachedProbe(other + "/scratch", cache);
  WriteFile(cache, Doctored(ReadFile(cache)));
  // Both entries are used, whichever came last: neither stamp probes again.
  EXPECT_EQ(sandbox::CachedProbe(dir / "scratch", cache).kernel, "cached-" + here.kernel);
  EXPECT_EQ(sandbox::CachedProbe(other + "/scratch", cache).kernel, "cached-" + here.kernel);
  rmdir(other.c_str());
}

TEST(Probe, CacheKeepsTheNewestEntriesOfThisBootOnly) {
  TempDir dir;
  const std::string cache = dir / "probe.json";
  ProbeResult real = sandbox::CachedProbe(dir / "scratch", cache);
  const std::string text = ReadFile(cache);
  const std::string stamp = text.substr(0, text.find('\n'));
  const std::string json = text.substr(text.find('\n') + 1);
  const std::string boot = stamp.substr(0, stamp.find(' '));
  // Entries another binary wrote on this boot, one of an earlier boot, and none of ours: the
  // probe runs again and its entry goes first, then the three newest others of this boot.
  std::string planted;
  for (int i = 1; i <= 4; ++i) planted += boot + " other-" + std::to_string(i) + "\n" + json;
  planted += "0000-earlier-boot " + stamp.substr(stamp.find(' ') + 1) + "\n" + json;
  WriteFile(cache, planted);
  ASSERT_EQ(chmod(cache.c_str(), 0600), 0);
  EXPECT_EQ(sandbox::CachedProbe(dir / "scratch", cache).kernel, real.kernel);
  EXPECT_EQ(ReadFile(cache), text + boot + " other-1\n" + json + boot + " other-2\n" + json + boot +
                                 " other-3\n" + json);
}

TEST(Probe, AProbeKeptForChildrenIsNotReadAgainOnTheSameFileSystem) {
  // The exec server keeps the probe for its build directory (cli/exec_server.cc); each worker
  // it forks then has it without reading the cache.
  TempDir dir, xdg;
  ScopedEnv r("XDG_RUNTIME_DIR", "/nonexistent-runtime-dir");
  ScopedEnv c("XDG_CACHE_HOME", xdg.path());
  const std::string cache = sandbox::ProbeCachePath();
  ASSERT_FALSE(cache.empty());
  sandbox::KeepProbeForChildren(dir / "scratch");
  const ProbeResult real = sandbox::CachedProbe(dir / "scratch", cache);
  ASSERT_EQ(real.kernel.rfind("cached-", 0), std::string::npos);
  // Every entry doctored in place, the file's time kept: a read of the cache would now say
  // "cached-", and the file is still the version the probe was kept from.
  struct stat before;
  ASSERT_EQ(stat(cache.c_str(), &before), 0);
  WriteFile(cache, Doctored(ReadFile(cache)));
  ASSERT_EQ(chmod(cache.c_str(), 0600), 0);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, cache.c_str(), times, 0), 0);
  // The control: the same content under another path is read, and its entry used.
  const std::string copy = xdg / "copy.json";
  WriteFile(copy, ReadFile(cache));
  ASSERT_EQ(chmod(copy.c_str(), 0600), 0);
  EXPECT_EQ(sandbox::CachedProbe(dir / "scratch", copy).kernel, "cached-" + real.kernel);
  // The kept probe, for another scratch directory on the same file system, in this process
  // and in a child forked from it.
  EXPECT_EQ(sandbox::CachedProbe(dir / "other-scratch").kernel, real.kernel);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(sandbox::CachedProbe(dir / "scratch").kernel == real.kernel ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // A worker whose sandbox failed to start drops the cache (exec_attempt.cc): the next one
  // probes again and writes it, instead of using what was kept.
  sandbox::ForgetCachedProbe(cache);
  EXPECT_EQ(sandbox::CachedProbe(dir / "scratch").kernel, real.kernel);
  EXPECT_TRUE(Exists(cache)) << "the probe kept before the cache was dropped was used";
  // Another file system is not the kept one's: its own entry, or a probe of its own.
  char shm_template[] = "/dev/shm/fanout-probe-test.XXXXXX";
  ASSERT_NE(mkdtemp(shm_template), nullptr) << "cannot make a directory in /dev/shm";
  const std::string other = shm_template;
  sandbox::KeepProbeForChildren(dir / "scratch");
  const std::string kept_text = ReadFile(cache);
  sandbox::CachedProbe(other + "/scratch");
  EXPECT_NE(ReadFile(cache), kept_text) << "another file system's probe was not written";
  rmdir(other.c_str());
}

// A cache entry that says it was cached (its kernel is "cached-..."), with a good stamp.
class ProbeCacheTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir((dir_ / "state").c_str(), 0755), 0);
    real_ = sandbox::CachedProbe(scratch(), cache());
    std::string text = ReadFile(cache());
    ASSERT_FALSE(text.empty());
    text.replace(text.find("\"kernel\": \""), 11, "\"kernel\": \"cached-");
    planted_ = text;
  }
  std::string cache() const { return dir_ / "state/probe.json"; }
  std::string scratch() const { return dir_ / "scratch"; }
  // Writes the planted entry as a fresh file with `mode` and says whether CachedProbe used it.
  bool Used(mode_t mode, uid_t owner = geteuid()) {
    unlink(cache().c_str());
    WriteFile(cache(), planted_);
    EXPECT_EQ(chmod(cache().c_str(), mode), 0);
    EXPECT_EQ(chown(cache().c_str(), owner, static_cast<gid_t>(-1)), 0);
    return sandbox::CachedProbe(scratch(), cache()).kernel == "cached-" + real_.kernel;
  }
  TempDir dir_;
  ProbeResult real_;
  std::string planted_;
};

TEST_F(ProbeCacheTrust, GroupOrOtherWritableFileIsIgnoredAndRewritten) {
  ASSERT_TRUE(Used(0644));  // positive control: the same content, correctly owned, is used
  EXPECT_FALSE(Used(0664));
  struct stat st;
  ASSERT_EQ(stat(cache().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 022, 0u);  // rewritten by the probe, and used from then on
  EXPECT_EQ(ReadFile(cache()).find("cached-"), std::string::npos);
  EXPECT_FALSE(Used(0646));
  EXPECT_TRUE(Used(0600));
}

TEST_F(ProbeCacheTrust, FileOfAnotherUserIsIgnored) {
  if (geteuid() != 0) GTEST_SKIP() << "giving a file to another uid needs root";
  ASSERT_TRUE(Used(0644, geteuid()));
  EXPECT_FALSE(Used(0644, 65534));
}

TEST_F(ProbeCacheTrust, SymlinkAndWritableDirectoryAreIgnored) {
  ASSERT_TRUE(Used(0644));
  // The planted entry reached through a symlink.
  WriteFile(dir_ / "elsewhere.json", planted_);
  chmod((dir_ / "elsewhere.json").c_str(), 0644);
  unlink(cache().c_str());
  ASSERT_EQ(symlink((dir_ / "elsewhere.json").c_str(), cache().c_str()), 0);
  EXPECT_NE(sandbox::CachedProbe(scratch(), cache()).kernel, "cached-" + real_.kernel);
  // A directory others can write to (they could have replaced the file).
  chmod((dir_ / "state").c_str(), 0777);
  EXPECT_FALSE(Used(0644));
  chmod((dir_ / "state").c_str(), 0755);
  EXPECT_TRUE(Used(0644));
}

TEST_F(ProbeCacheTrust, StampNamesTheFanoutBinary) {
  ASSERT_NE(planted_.find(" exe="), std::string::npos);
  ASSERT_TRUE(Used(0644));
  planted_.replace(planted_.find(" exe="), 5, " exe=9");  // as written by another build
  EXPECT_FALSE(Used(0644));
}

TEST(ProbeCachePath, RuntimeDirThenCacheDirThenTmp) {
  TempDir run, cache;
  chmod(run.path().c_str(), 0700);
  {
    ScopedEnv r("XDG_RUNTIME_DIR", run.path());
    ScopedEnv c("XDG_CACHE_HOME", cache.path());
    EXPECT_EQ(sandbox::ProbeCachePath(), run / "fanout/sandbox-probe.json");
    struct stat st;
    ASSERT_EQ(stat((run / "fanout").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
  {
    ScopedEnv r("XDG_RUNTIME_DIR", "/nonexistent-runtime-dir");
    ScopedEnv c("XDG_CACHE_HOME", cache.path());
    EXPECT_EQ(sandbox::ProbeCachePath(),
              cache / ("fanout/sandbox-probe-" + std::to_string(geteuid()) + ".json"));
  }
  if (geteuid() == 0) {
    // A runtime directory that is not this user's is not used.
    chown(run.path().c_str(), 65534, 65534);
    ScopedEnv r("XDG_RUNTIME_DIR", run.path());
    ScopedEnv c("XDG_CACHE_HOME", cache.path());
    EXPECT_NE(sandbox::ProbeCachePath().rfind(run.path(), 0), 0u);
    chown(run.path().c_str(), 0, 0);
  }
  {
    ScopedEnv r("XDG_RUNTIME_DIR", "relative");
    ScopedEnv c("XDG_CACHE_HOME", "relative");
    ScopedEnv h("HOME", "/nonexistent-home/x");
    const std::string tmp = "/tmp/fanout-" + std::to_string(geteuid());
    const std::string path = sandbox::ProbeCachePath();
    if (path.empty()) GTEST_SKIP() << tmp << " exists but is not a 0700 directory of this user";
    EXPECT_EQ(path, tmp + "/sandbox-probe.json");
    struct stat st;
    ASSERT_EQ(lstat(tmp.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, geteuid());
  }
}

TEST(Probe, ChooseTier) {
  ProbeResult ns;
  ns.namespaces = true;
  ns.overlay = true;
  ProbeResult none;
  none.namespaces_unavailable = "creating user namespaces failed: Operation not permitted";

  auto c = ChooseTier(ns, "", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tier, Tier::kNamespaces);
  EXPECT_TRUE(c->overlay);
  EXPECT_TRUE(c->fallback_reason.empty());

  c = ChooseTier(ns, "process", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tier, Tier::kProcess);
  EXPECT_EQ(c->fallback_reason, "forced by FANOUT_SANDBOX=process");

  c = ChooseTier(none, "auto", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tier, Tier::kProcess);
  EXPECT_EQ(c->fallback_reason, none.namespaces_unavailable);

  c = ChooseTier(none, "", true);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("required"), std::string::npos);
  EXPECT_NE(c.error().message.find("Operation not permitted"), std::string::npos);
  EXPECT_FALSE(ChooseTier(none, "namespaces", false).ok());
  EXPECT_FALSE(ChooseTier(ns, "bogus", false).ok());
}

TEST(Doctor, PrintsTierAndJson) {
  TempDir dir;
  RunResult r = fanout::testing::Run({FanoutBinary(), "doctor", "-B", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tier"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("limits                 "), std::string::npos) << r.out;
  r = fanout::testing::Run({FanoutBinary(), "doctor", "-B", dir.path(), "--json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(sandbox::ProbeFromJson(r.out).ok()) << r.out;
  r = fanout::testing::Run({FanoutBinary(), "doctor", "-B", dir.path(), "--require-sandbox"}, "",
                           {"FANOUT_SANDBOX=process"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fanout::testing
