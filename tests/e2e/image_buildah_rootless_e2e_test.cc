// End-to-end: the buildah engine run by an unprivileged user (docs/images.md, "The buildah
// engine"): the sandbox maps the user's /etc/subuid and /etc/subgid ranges with newuidmap and
// newgidmap, as rootless podman does, and the build runs as root of a user namespace nested in
// the sandbox's. fanout runs as uid 65534 (setpriv) in a private mount namespace whose
// /etc/subuid and /etc/subgid give that user a range, so the machine's own files are untouched.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "image/oci_layout.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

constexpr uid_t kNobody = 65534;
// The user's subordinate range in the tests' /etc/subuid and /etc/subgid: used by no account,
// and apart from root's build range (sandbox/identity.h).
constexpr unsigned long kRangeStart = 0x60000000;
constexpr unsigned long kRangeCount = 65536;

class BuildahRootlessE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // Root sets the test up (the user's files, its private /etc/subuid), as CI runs it.
    if (geteuid() != 0) GTEST_SKIP() << "the rootless buildah tests are set up by root, as CI does";
    for (const char* tool :
         {"buildah", "skopeo", "busybox", "setpriv", "unshare", "newuidmap", "newgidmap"}) {
      ASSERT_EQ(fanout::testing::Run({"sh", "-c", std::string("command -v ") + tool}).exit_code, 0)
          << tool << " is not installed: scripts/setup installs buildah, skopeo, uidmap and "
          << "busybox-static";
    }
    // The private ranges are bound over the machine's files, which must exist (scripts/setup
    // makes them, as Debian's useradd would).
    ASSERT_TRUE(Exists("/etc/subuid") && Exists("/etc/subgid"))
        << "no /etc/subuid or /etc/subgid: scripts/setup creates them";
    WriteFile(ids_ / "subuid",
              "nobody:" + std::to_string(kRangeStart) + ":" + std::to_string(kRangeCount) + "\n");
    WriteFile(ids_ / "subgid", ReadFile(ids_ / "subuid"));
    WriteFile(ids_ / "none", "");
    // A machine where the user cannot have the namespaces tier (a chroot, user namespaces
    // closed to unprivileged users) says so and skips.
    const RunResult doctor = AsNobody({FanoutBinary(), "doctor", "--require-sandbox"}, "/");
    if (doctor.exit_code != 0) {
      GTEST_SKIP() << "the namespaces tier is not available to an unprivileged user here: "
                   << doctor.out << doctor.err;
    }
    repo_.Write("base/Dockerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
    // A RUN step that hands a file to another owner: the layer holds an id other than the
    // user's, which only a mapped range can hold.
    repo_.Write("app/Dockerfile",
                "ARG BASE\nFROM $BASE\nCOPY hello.txt /hello.txt\n"
                "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox cp /hello.txt /owned.txt "
                "&& /bin/busybox chown 1000:1000 /owned.txt\"]\n");
    repo_.Write("app/hello.txt", "hello\n");
    ASSERT_TRUE(CopyBusybox(repo_ / "base/busybox"));
    // A build whose engine is hostile: the `buildah` the build script runs (found first on
    // PATH, from the target's own context) is the escape suite's attack program
    // (tests/escape/attack.cc), root of the build's user namespace with every capability in it.
    repo_.Write("escape/Dockerfile", "FROM scratch\n");
    repo_.Write("escape/bin/buildah", "#!/bin/sh\n\"$(dirname \"$0\")/attack\" uncover '" +
                                          repo_ / "secret.txt" + "'\nexit 1\n");
    ASSERT_EQ(
        fanout::testing::Run({"cp", FANOUT_ESCAPE_ATTACK, repo_ / "escape/bin/attack"}).exit_code,
        0);
    ASSERT_EQ(chmod((repo_ / "escape/bin/buildah").c_str(), 0755), 0);
    // A file of the repository that no target declares: the sandbox hides it.
    repo_.Write("secret.txt", "not-an-input-7f3a\n");
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "targets:\n"
                "  base:\n    network: false\n"
                "    image:\n      engine: buildah\n      context: base\n"
                "  app:\n    network: false\n    deps: [base]\n"
                "    image:\n      engine: buildah\n      context: app\n"
                "      args: {BASE: \"{image:base}\"}\n"
                "  escape:\n    network: false\n"
                "    image:\n      engine: buildah\n      context: escape\n");
    repo_.Commit("images");
    // The user's own checkout and home (libgit2 refuses a repository of another user).
    Sh("chown -R " + std::to_string(kNobody) + ":" + std::to_string(kNobody) + " '" + repo_.path() +
       "' '" + home_.path() + "'");
  }

  void TearDown() override {
    // The store holds files of the user's subordinate ids, which root removes with the rest.
    Sh("rm -rf '" + repo_.path() + "/build' '" + repo_.path() + "/build-weakened'");
  }

  /// Runs `argv` as uid 65534 in a private mount namespace whose /etc/subuid and /etc/subgid
  /// are the test's `ids` files ("subuid"/"subgid", or "none" for both).
  RunResult AsNobody(const std::vector<std::string>& argv, const std::string& cwd,
                     bool with_range = true, const std::vector<std::string>& env = {},
                     const std::string& path = "/usr/bin:/bin:/usr/sbin:/sbin") {
    const std::string uid = with_range ? ids_ / "subuid" : ids_ / "none";
    const std::string gid = with_range ? ids_ / "subgid" : ids_ / "none";
    std::vector<std::string> full = {
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        "mount --bind \"$1\" /etc/subuid && mount --bind \"$2\" /etc/subgid && shift 2 && "
        "exec \"$@\"",
        "sh",
        uid,
        gid,
        "setpriv",
        "--reuid=" + std::to_string(kNobody),
        "--regid=" + std::to_string(kNobody),
        "--clear-groups",
        "env",
        "PATH=" + path,
        "HOME=" + home_.path(),
        "FANOUT_SANDBOX=namespaces",
        "FANOUT_CACHE=off"};
    full.insert(full.end(), env.begin(), env.end());
    full.insert(full.end(), argv.begin(), argv.end());
    return fanout::testing::Run(full, cwd);
  }

  /// `path`: PATH for fanout and the commands; a relative entry is searched in each command's
  /// workspace.
  RunResult Build(const std::vector<std::string>& targets, bool with_range = true,
                  const std::string& weaken = "",
                  const std::string& path = "/usr/bin:/bin:/usr/sbin:/sbin") {
    std::vector<std::string> argv = {weaken.empty() ? FanoutBinary() : FANOUT_WEAKENED_BINARY,
                                     "build", "-B", weaken.empty() ? "build" : "build-weakened"};
    argv.insert(argv.end(), targets.begin(), targets.end());
    std::vector<std::string> env;
    if (!weaken.empty()) env.push_back("FANOUT_TEST_WEAKEN=" + weaken);
    return AsNobody(argv, repo_.path(), with_range, env, path);
  }

  std::string Log(const std::string& dir, const std::string& target) {
    return ReadFile(repo_ / (dir + "/targets/" + target + "/log.txt"));
  }

  GitRepo repo_;
  TempDir home_;
  TempDir ids_;
};

TEST_F(BuildahRootlessE2E, AChainIsBuiltByAnUnprivilegedUserWithItsSubordinateIds) {
  const RunResult r = Build({"app"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("build", "base") << Log("build", "app");
  const json manifest = json::parse(ReadFile(repo_ / "build/manifest.json"), nullptr, false);
  ASSERT_TRUE(manifest.is_object());
  auto app = image::ReadOciLayout(repo_ / "build/targets/app/out/image");
  auto base = image::ReadOciLayout(repo_ / "build/targets/base/out/image");
  ASSERT_TRUE(app.ok()) << app.error().message;
  ASSERT_TRUE(base.ok()) << base.error().message;
  ASSERT_EQ(app->diff_ids.size(), 3u);
  EXPECT_EQ(app->diff_ids[0], base->diff_ids[0]);
  // What the build left is the user's: the manifest and the image's layout.
  struct stat st;
  ASSERT_EQ(stat((repo_ / "build/manifest.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  ASSERT_EQ(stat((repo_ / "build/targets/app/out/image/index.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  // The RUN step's chown held: the store holds owned.txt as the range's uid 1000, that is
  // host uid START + 999 (inside, 0 is the user and 1.. the range).
  const RunResult owned =
      Sh("find '" + repo_.path() +
         "/build/.fanout/buildah' -name owned.txt -printf '%U:%G\\n' | sort -u");
  EXPECT_EQ(owned.out,
            std::to_string(kRangeStart + 999) + ":" + std::to_string(kRangeStart + 999) + "\n")
      << owned.out << owned.err;
}

TEST_F(BuildahRootlessE2E, WithoutARangeTheTargetFailsNamingTheUserAndTheFix) {
  const RunResult r = Build({"base"}, /*with_range=*/false);
  EXPECT_NE(r.exit_code, 0);
  const std::string said = r.out + r.err + Log("build", "base");
  EXPECT_NE(said.find("/etc/subuid has no range for user 'nobody'"), std::string::npos) << said;
  EXPECT_NE(said.find("usermod --add-subuids"), std::string::npos) << said;
  // doctor says the same.
  const RunResult doctor = AsNobody({FanoutBinary(), "doctor"}, repo_.path(), false);
  EXPECT_NE(doctor.out.find("/etc/subuid has no range for user 'nobody'"), std::string::npos)
      << doctor.out << doctor.err;
}

TEST_F(BuildahRootlessE2E, AHostileEngineCannotUnmountTheSandboxToReadWhatItHides) {
  // The escape target's context puts its hostile `buildah` first on PATH.
  const std::string path = "escape/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  // Positive control: without the nested user namespace, the engine is root of the namespace
  // that made the sandbox's mounts: it unmounts the covers and reads the undeclared file.
  Build({"escape"}, true, "subordinate-nest", path);
  const std::string weak = Log("build-weakened", "escape");
  EXPECT_NE(weak.find("ESCAPED uncover"), std::string::npos) << weak;
  EXPECT_NE(weak.find("not-an-input-7f3a"), std::string::npos) << weak;

  Build({"escape"}, true, "", path);
  const std::string log = Log("build", "escape");
  // The attack ran (the line proves it), and the mounts held: locked, they cannot be unmounted.
  EXPECT_NE(log.find("BLOCKED uncover"), std::string::npos) << log;
  EXPECT_NE(log.find("op=umount"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-an-input-7f3a"), std::string::npos) << log;
}

}  // namespace
}  // namespace fanout::testing
