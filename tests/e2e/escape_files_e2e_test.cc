// The escape suite, attacks through files and state (issue 12): artifact collection through a
// symlink into the repository, the sandbox's /tmp (its size and what stays after the edge),
// host sockets under /run, and a sandbox probe result planted by the checkout.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "escape_fixture.h"
#include "sandbox/cgroup.h"
#include "sandbox/probe.h"

namespace fanout::testing {
namespace {

class EscapeFilesE2E : public EscapeTest {};
class EscapeNamespacesFilesE2E : public EscapeTest {};
class EscapeStateE2E : public EscapeTest {
 protected:
  bool UsesTier() const override { return false; }
};

/// Every name under `dir`, recursively, without following symlinks.
std::string NamesUnder(const std::string& dir) {
  std::string names;
  std::function<void(const std::string&)> walk = [&](const std::string& d) {
    DIR* dp = opendir(d.c_str());
    if (!dp) return;
    while (dirent* e = readdir(dp)) {
      const std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      names += d + "/" + n + "\n";
      struct stat st;
      if (lstat((d + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) walk(d + "/" + n);
    }
    closedir(dp);
  };
  walk(dir);
  return names;
}

// A symlink $FANOUT_OUT/x -> the repository with `artifacts: ["x/**"]`: collection must fail
// without following it, and no name of the repository may appear in any output.
TEST_P(EscapeFilesE2E, ArtifactSymlinkIntoRepositoryLeaksNoName) {
  const std::string m = Marker();
  Write("hidden-" + m + "/name-" + m + ".txt", "not an input\n");
  Describe(Target("t", "ln -s \"$REPO\" \"$FANOUT_OUT/x\"",
                  {"env: {REPO: " + Quote(repo()) + "}", "artifacts: [\"x/**\"]"}));
  Commit();
  auto everything = [](const EscapeBuild& b) {
    return b.run.out + b.run.err + b.Log("t") + b.FailureText("t") +
           ReadFile(b.dir + "/targets/t/result.json") + ReadFile(b.dir + "/manifest.json") +
           NamesUnder(b.Out("t")) + NamesUnder(b.dir + "/artifacts");
  };
  // In the namespaces tier the collection runs inside the sandbox, where the repository is
  // hidden by the mount namespace (no test layer weakens that), so only the process tier has
  // a positive control.
  if (!Namespaces()) {
    EscapeBuild weak = Build("resolve");
    EXPECT_NE(everything(weak).find("name-" + m), std::string::npos)
        << "positive control: the repository's names are not listed\n"
        << everything(weak);
  }
  EscapeBuild real = Build("");
  EXPECT_EQ(real.run.exit_code, 1) << "the symlinked prefix must fail the target\n"
                                   << real.run.err << real.Log("t");
  EXPECT_EQ(everything(real).find("-" + m), std::string::npos) << everything(real);
}

// A file the command leaves in its private /tmp or $TMPDIR (a BuildKit --secret file) is gone
// from BUILD/.fanout/ws/<target>/ after the edge.
TEST_P(EscapeFilesE2E, TmpIsRemovedAfterTheEdge) {
  const std::string m = Marker();
  Describe(Target("t", "echo s3cr3t > /tmp/fake-secret-" + m + " 2>/dev/null; echo s3cr3t > " +
                           "\"$TMPDIR/fake-secret-" + m + "\" && echo WROTE"));
  Commit();
  {
    EscapeBuild weak = Build("tmp");
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_NE(NamesUnder(weak.dir + "/.fanout").find("fake-secret-" + m), std::string::npos)
        << "positive control: nothing stays after the edge";
  }
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_NE(real.Log("t").find("WROTE"), std::string::npos) << real.Log("t");
  EXPECT_EQ(NamesUnder(real.dir).find("fake-secret-" + m), std::string::npos)
      << NamesUnder(real.dir + "/.fanout/ws");
}

// A Unix socket under /run (docker.sock, say) is reachable only when the target declares it in
// `sockets:`, and then it is.
TEST_P(EscapeFilesE2E, RunSocketsOnlyWhenDeclared) {
  if (!Namespaces() && !Root() && EscapeLandlockAbi() < 9) {
    GTEST_SKIP() << "documented limitation: the process tier cannot hide a socket the user owns "
                    "before Landlock ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX); this kernel has ABI "
                 << EscapeLandlockAbi();
  }
  std::string run_dir = "/run";
  if (geteuid() != 0) {
    run_dir = "/run/user/" + std::to_string(geteuid());
    if (access(run_dir.c_str(), W_OK) != 0) {
      GTEST_SKIP() << "no directory under /run this user can create a socket in";
    }
  }
  const std::string m = Marker();
  const std::string hidden = run_dir + "/fanout-escape-" + m + ".sock";
  const std::string declared = run_dir + "/fanout-escape-" + m + "-declared.sock";
  // As root: root:root 0660, as a docker.sock would be; unprivileged: owned by the user.
  auto listen_hidden = [&] {
    return Root() ? EscapeListener::Path(hidden, 0, 0, 0660)
                  : EscapeListener::Path(hidden, User(), User(), 0600);
  };
  Describe(Target("hidden", Attack() + " unix-connect " + hidden));
  Commit();
  {
    auto h = listen_hidden();
    // Root needs its uid too: the unprivileged build uid alone keeps it from a 0660 root socket.
    EscapeBuild weak = Build(Namespaces() ? Layers("run", "uid") : Root() ? "uid" : "landlock");
    EXPECT_EQ(weak.Outcome("hidden", "unix-connect"), "ESCAPED")
        << "positive control: " << weak.run.err << weak.Log("hidden");
    EXPECT_TRUE(h->Connected()) << "positive control";
  }
  {
    auto h = listen_hidden();
    EscapeBuild real = Build("");
    ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("hidden");
    EXPECT_EQ(real.Outcome("hidden", "unix-connect"), "BLOCKED") << real.Log("hidden");
    EXPECT_FALSE(h->Connected()) << "an undeclared host socket was reachable";
  }
  // The functional check: a declared socket is reachable. It is open to everyone, so that only
  // the binding decides.
  auto d = EscapeListener::Path(declared, User(), User(), 0666);
  Describe(Target("declared", Attack() + " unix-connect " + declared,
                  {"sockets: [" + Quote(declared) + "]"}));
  Commit();
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("declared");
  EXPECT_EQ(real.Outcome("declared", "unix-connect"), "ESCAPED")
      << "a declared socket must be reachable: " << real.Log("declared");
  EXPECT_TRUE(d->Connected());
}

// A file in the host's /tmp that anyone may read, outside the repository and the build
// directory (a token a CI step left there, another build's files): the namespaces tier gives
// the command a /tmp of its own, and the process tier hides the host's /tmp and /dev/shm
// from it with Landlock, as it hides the repository. Only the process tier has a test layer
// ("tmp") that leaves the host's /tmp readable, so only it has a positive control.
TEST_P(EscapeFilesE2E, TheHostsTmpIsHidden) {
  const std::string m = Marker();
  struct HostDir {
    std::string path = "/tmp/fanout-host-tmp-XXXXXX";
    HostDir() {
      if (mkdtemp(path.data())) chmod(path.c_str(), 0755);
    }
    ~HostDir() { std::filesystem::remove_all(path); }
  } host;
  const std::string file = host.path + "/token-" + m;
  { std::ofstream(file) << "host-token-" << m << "\n"; }
  ASSERT_EQ(chmod(file.c_str(), 0644), 0) << file;
  Describe(Target("t", "cat " + file + " || true"));
  Commit();
  if (!Namespaces()) {
    EscapeBuild weak = Build("tmp");
    ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
    EXPECT_NE(weak.Log("t").find("host-token-" + m), std::string::npos)
        << "positive control: the host's /tmp is not readable\n"
        << weak.Log("t");
  }
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_EQ(real.Log("t").find("host-token-" + m), std::string::npos) << real.Log("t");
}

INSTANTIATE_TEST_SUITE_P(Escape, EscapeFilesE2E, ::testing::ValuesIn(AllEscapeVariants()),
                         EscapeVariantName);

// With `limits: {tmp: 1M}` the sandbox's /tmp holds no more than that: writing 4 MiB fails
// with ENOSPC.
TEST_P(EscapeNamespacesFilesE2E, TmpIsSizeBounded) {
  Describe(
      Target("t", Attack() + " fill /tmp/fill " + std::to_string(4 << 20), {"limits: {tmp: 1M}"}));
  Commit();
  EscapeBuild weak = Build("tmp");
  ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
  EXPECT_EQ(weak.Outcome("t", "fill"), "ESCAPED") << "positive control: " << weak.Log("t");
  EscapeBuild real = Build("");
  ASSERT_EQ(real.run.exit_code, 0) << real.run.err << real.Log("t");
  EXPECT_NE(real.OutcomeLine("t", "fill").find("BLOCKED fill /tmp/fill errno=ENOSPC"),
            std::string::npos)
      << real.Log("t");
}

// A host directory anyone may write to, outside the workspace and not hidden: only the
// read-only pass over the mount tree stands between the command and it. The write succeeds
// with that pass turned off (the positive control) and fails with EROFS both ways the pass is
// made: one recursive mount_setattr, and one remount per mount point (the way of kernels
// before 5.12, taken here through the test switch "mount-setattr").
TEST_P(EscapeNamespacesFilesE2E, HostDirectoryWritableByAllStaysReadOnly) {
  const std::string m = Marker();
  const std::string dir = "/var/tmp/fanout-open-" + m;
  ASSERT_EQ(mkdir(dir.c_str(), 0777), 0) << dir;
  ASSERT_EQ(chmod(dir.c_str(), 01777), 0);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      unlink((dir + "/w").c_str());
      rmdir(dir.c_str());
    }
  } cleanup{dir};
  Describe(Target("t",
                  "if (echo x > \"$D/w\") 2>\"$TMPDIR/err\"; then echo ESCAPED write \"$D\"; "
                  "else echo BLOCKED write \"$D\" \"$(cat \"$TMPDIR/err\")\"; fi",
                  {"env: {D: " + Quote(dir) + "}"}));
  Commit();
  EscapeBuild weak = Build("readonly");
  ASSERT_EQ(weak.run.exit_code, 0) << weak.run.err << weak.Log("t");
  EXPECT_EQ(weak.Outcome("t", "write"), "ESCAPED") << "positive control: " << weak.Log("t");
  EXPECT_EQ(access((dir + "/w").c_str(), F_OK), 0) << "positive control: no file on the host";
  ASSERT_EQ(unlink((dir + "/w").c_str()), 0);
  for (const char* way : {"", "mount-setattr"}) {
    EscapeBuild real = Build(way);
    ASSERT_EQ(real.run.exit_code, 0) << way << ": " << real.run.err << real.Log("t");
    EXPECT_NE(real.OutcomeLine("t", "write").find("Read-only file system"), std::string::npos)
        << way << ": " << real.Log("t");
    EXPECT_NE(access((dir + "/w").c_str(), F_OK), 0) << way << ": the host got the file";
  }
}

INSTANTIATE_TEST_SUITE_P(Escape, EscapeNamespacesFilesE2E,
                         ::testing::ValuesIn(EscapeVariantsOf(EscapeTier::kNamespaces)),
                         EscapeVariantName);

// A committed build/.fanout/sandbox-probe.json claiming that this machine has no namespaces and
// no Landlock, with a stamp valid for this boot and user (a command can read all it needs):
// `fanout build` refuses a build directory that git tracks.
TEST_P(EscapeStateE2E, PlantedProbeInTrackedBuildDirectoryIsRefused) {
  Describe(Target("t", "echo built"));
  Commit();
  // The repository builds: the refusal below is the planted directory's doing.
  EscapeBuild clean = Build("", {}, {}, /*force_tier=*/false);
  ASSERT_EQ(clean.run.exit_code, 0) << clean.run.err << clean.Log("t");
  // What a command can compute from inside the sandbox: the stamp the probe cache carried
  // (boot id, euid, cgroups) when it lived in the build directory, and a result claiming no
  // namespaces and no Landlock.
  sandbox::ProbeResult claim;
  claim.namespaces = false;
  claim.landlock_abi = 0;
  claim.seccomp = true;
  claim.namespaces_unavailable = "planted by the checkout";
  std::string boot_id = ReadFile("/proc/sys/kernel/random/boot_id");
  while (!boot_id.empty() && boot_id.back() == '\n') boot_id.pop_back();
  const std::string planted = boot_id + " " + std::to_string(User()) + " " +
                              sandbox::CgroupIdentity() + "\n" + sandbox::ProbeToJson(claim);
  // The control: the file is one fanout's probe reader accepts, claiming no namespaces. No
  // test layer restores the old trust in the build directory, so this is as far as a positive
  // control goes.
  auto parsed = sandbox::ProbeFromJson(planted.substr(planted.find('\n') + 1));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->namespaces);
  EXPECT_EQ(parsed->landlock_abi, 0);

  Write("build/.fanout/sandbox-probe.json", planted);
  Commit();
  ASSERT_NE(AsUser({"git", "ls-files", "build"}, repo()).out.find("sandbox-probe.json"),
            std::string::npos);
  RunResult r = AsUser({FANOUT_BINARY, "build", "-B", "build"}, repo(), {"FANOUT_KILL_GRACE=1"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_FALSE(Exists(Repo("build/targets/t/result.json"))) << "the target ran";
  EXPECT_EQ(ReadFile(Repo("build/.fanout/sandbox-probe.json")), planted);
}

INSTANTIATE_TEST_SUITE_P(Escape, EscapeStateE2E,
                         ::testing::ValuesIn(EscapeVariantsOf(EscapeTier::kNamespaces)),
                         [](const ::testing::TestParamInfo<EscapeVariant>& info) {
                           return std::string(info.param.root ? "root" : "unprivileged");
                         });

}  // namespace
}  // namespace fanout::testing
