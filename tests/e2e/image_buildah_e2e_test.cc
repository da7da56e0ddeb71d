// End-to-end: image targets built by buildah inside fanout's sandbox (`engine: buildah`,
// docs/images.md), chained through OCI layouts, from `FROM scratch` images of a static busybox;
// no daemon, registry or network is reached.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "base/unique_fd.h"
#include "image/oci_layout.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

/// Why buildah images cannot be tested here ("" when they can).
std::string BuildahToolsMissing() {
  if (geteuid() != 0) return "the buildah image tests run as root, as CI does";
  for (const char* tool : {"buildah", "skopeo", "busybox"}) {
    if (Run({"sh", "-c", std::string("command -v ") + tool}).exit_code != 0) {
      return std::string(tool) +
             " is not installed: scripts/setup installs buildah, skopeo and busybox-static";
    }
  }
  return "";
}

/// A TCP listener on the host's loopback that accepts and closes every connection, so a
/// client that reaches it ends at once.
class LoopbackListener {
 public:
  LoopbackListener() {
    fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd_.get(), 16) != 0 ||
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        const int c = accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) close(c);
      }
    });
  }
  ~LoopbackListener() {
    stop_ = true;
    shutdown(fd_.get(), SHUT_RDWR);  // wakes accept
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  UniqueFd fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class BuildahE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = BuildahToolsMissing();
    // Root runs CI: there every tool must be present, and a missing one fails the test.
    if (geteuid() != 0) GTEST_SKIP() << missing;
    ASSERT_TRUE(missing.empty()) << missing;
    // The engine builds only in the namespaces tier (and so does every control here): a machine
    // without it (a chroot) lacks a kernel feature, and the suite is skipped saying why.
    static const std::string no_namespaces = [] {
      const RunResult d = fanout::testing::Run({FanoutBinary(), "doctor", "--json"});
      const json doctor = json::parse(d.out, nullptr, false);
      // No answer is no reason to skip: the tests then run, and fail where it matters.
      return !doctor.is_object() || doctor.value("namespaces", false)
                 ? std::string()
                 : "the namespaces tier cannot run here: " +
                       doctor.value("namespaces_unavailable", std::string());
    }();
    if (!no_namespaces.empty()) GTEST_SKIP() << no_namespaces;
    repo_.Write("base/Dockerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
    repo_.Write("app/Dockerfile",
                "ARG BASE\nFROM $BASE\nCOPY hello.txt /hello.txt\n"
                "RUN [\"/bin/busybox\", \"cp\", \"/hello.txt\", \"/copied.txt\"]\n");
    repo_.Write("app/hello.txt", "hello 1\n");
    ASSERT_TRUE(CopyBusybox(repo_ / "base/busybox"));
    WriteDescription(2, "", "");
    repo_.Commit("images");
  }

  /// base and app (app on base), in a pool of depth `pool`; `app_extra` and `more` are YAML
  /// added to app's definition and to the targets.
  void WriteDescription(int pool, const std::string& app_extra, const std::string& more) {
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "pools:\n  images: " +
                    std::to_string(pool) +
                    "\n"
                    "targets:\n"
                    "  base:\n"
                    "    pool: images\n    network: false\n"
                    "    image:\n      engine: buildah\n      context: base\n"
                    "  app:\n"
                    "    pool: images\n    network: false\n    deps: [base]\n" +
                    app_extra +
                    "    image:\n      engine: buildah\n      context: app\n"
                    "      args: {BASE: \"{image:base}\"}\n" +
                    more);
  }

  /// An image target `name` of its own directory, whose Dockerfile ends with `run` (a RUN
  /// step), on base.
  std::string RunTarget(const std::string& name, const std::string& run, bool network) {
    repo_.Write(name + "/Dockerfile", "ARG BASE\nFROM $BASE\n" + run + "\n");
    return "  " + name +
           ":\n    pool: images\n    deps: [base]\n    network: " + (network ? "true" : "false") +
           "\n    image:\n      engine: buildah\n      context: " + name +
           "\n      args: {BASE: \"{image:base}\"}\n      dockerfile: " + name + "/Dockerfile\n";
  }

  /// `fanout COMMAND -B build ARGS...`: the build directory is named, whatever the default.
  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary(), args[0], "-B", "build"};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return fanout::testing::Run(argv, repo_.path(), {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  }

  std::string Log(const std::string& t) {
    return ReadFile(repo_ / ("build/targets/" + t + "/log.txt"));
  }
  json Manifest() { return json::parse(ReadFile(repo_ / "build/manifest.json")); }
  static const json& Entry(const json& manifest, const std::string& name) {
    for (const json& t : manifest["targets"]) {
      if (t["name"] == name) return t;
    }
    static const json none;
    return none;
  }
  std::pair<double, double> Interval(const std::string& t) {
    const json j = json::parse(ReadFile(repo_ / ("build/targets/" + t + "/result.json")));
    return {j["started_at"].get<double>(), j["finished_at"].get<double>()};
  }

  GitRepo repo_;
};

TEST_F(BuildahE2E, AChainOfImagesIsBuiltIntoLayoutsAndTheDependentGetsItsDependencysLayers) {
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("base") << Log("app");
  const json manifest = Manifest();
  const json& base = Entry(manifest, "base");
  const json& app = Entry(manifest, "app");
  ASSERT_TRUE(base.contains("image")) << manifest.dump(2);
  ASSERT_TRUE(app.contains("image")) << manifest.dump(2);
  auto base_layout =
      image::ReadOciLayout(repo_ / ("build/" + base["image"]["layout"].get<std::string>()));
  auto app_layout =
      image::ReadOciLayout(repo_ / ("build/" + app["image"]["layout"].get<std::string>()));
  ASSERT_TRUE(base_layout.ok()) << base_layout.error().message;
  ASSERT_TRUE(app_layout.ok()) << app_layout.error().message;
  EXPECT_EQ(app["image"]["manifest_digest"], app_layout->manifest_digest);
  EXPECT_EQ(app["image"]["config_digest"], app_layout->config_digest);
  EXPECT_EQ(base["image"]["manifest_digest"], base_layout->manifest_digest);

  // The dependent was built on its dependency's exact image: its layers start with the base's
  // (COPY busybox), then its own COPY and RUN.
  ASSERT_EQ(base_layout->diff_ids.size(), 1u);
  ASSERT_EQ(app_layout->diff_ids.size(), 3u);
  EXPECT_EQ(app_layout->diff_ids[0], base_layout->diff_ids[0]);
  // The dependency came from its layout into the store under its content, never from a
  // registry.
  EXPECT_NE(Log("app").find("copy --quiet oci:"), std::string::npos) << Log("app");
  EXPECT_NE(Log("app").find("BASE=fanout.invalid/dep:"), std::string::npos) << Log("app");
  EXPECT_NE(Log("app").find("--pull=never"), std::string::npos);
  // The layers live in the build directory's store, not in a machine-wide one.
  EXPECT_TRUE(Exists(repo_ / "build/.fanout/buildah"));
}

TEST_F(BuildahE2E, ConcurrentBuildsShareTheStoreAndAPoolOfDepthOneSerializesThem) {
  // Two independent images whose RUN steps take a while, in one pool.
  const std::string run = "RUN [\"/bin/busybox\", \"sleep\", \"3\"]";
  // Their steps differ, so neither comes from the other's layer cache.
  const std::string targets =
      RunTarget("one", run + "\nRUN [\"/bin/busybox\", \"echo\", \"one\"]", false) +
      RunTarget("two", run + "\nRUN [\"/bin/busybox\", \"echo\", \"two\"]", false);
  WriteDescription(2, "", targets);
  repo_.Commit("two images");
  // The control: in a pool of depth 2 they build at the same time, on one store, and both
  // succeed.
  RunResult r = Fanout({"build", "-j", "4", "one", "two"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("one") << Log("two");
  auto [a0, a1] = Interval("one");
  auto [b0, b1] = Interval("two");
  EXPECT_TRUE(a0 < b1 && b0 < a1) << "one ran " << a0 << "-" << a1 << ", two " << b0 << "-" << b1;

  // In a pool of depth 1 (new steps, so nothing comes from the layer cache) they never do.
  repo_.Write("one/Dockerfile", ReadFile(repo_ / "one/Dockerfile") +
                                    "RUN [\"/bin/busybox\", "
                                    "\"echo\", \"again\"]\n");
  repo_.Write("two/Dockerfile", ReadFile(repo_ / "two/Dockerfile") +
                                    "RUN [\"/bin/busybox\", "
                                    "\"echo\", \"again\"]\n");
  WriteDescription(1, "", targets);
  repo_.Commit("one at a time");
  r = Fanout({"build", "-j", "4", "one", "two"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("one") << Log("two");
  std::tie(a0, a1) = Interval("one");
  std::tie(b0, b1) = Interval("two");
  EXPECT_TRUE(a1 <= b0 || b1 <= a0) << "one ran " << a0 << "-" << a1 << ", two " << b0 << "-" << b1;
}

TEST_F(BuildahE2E, NetworkFalseHoldsForRunSteps) {
  LoopbackListener listener;
  ASSERT_NE(listener.port(), 0);
  const std::string port = std::to_string(listener.port());
  // The mark comes first: the step that dials is never a layer cached from the other target.
  auto dial = [&](const std::string& mark) {
    return "RUN [\"/bin/busybox\", \"echo\", \"" + mark +
           "\"]\nRUN [\"/bin/busybox\", \"nc\", \"-w\", \"5\", \"127.0.0.1\", \"" + port + "\"]";
  };
  WriteDescription(
      2, "",
      RunTarget("online", dial("online"), true) + RunTarget("offline", dial("offline"), false));
  repo_.Commit("dialing out");
  // The control: with the network, a RUN step reaches the host's loopback.
  RunResult r = Fanout({"build", "online"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("online");
  // Without it, the same step cannot.
  r = Fanout({"build", "offline"});
  EXPECT_NE(r.exit_code, 0) << Log("offline");
  // It is the dialing step that failed, with nc's own complaint.
  EXPECT_NE(Log("offline").find("building at STEP \"RUN /bin/busybox nc"), std::string::npos)
      << Log("offline");
  EXPECT_NE(Log("offline").find("nc: "), std::string::npos) << Log("offline");
  EXPECT_FALSE(Exists(repo_ / "build/targets/offline/out/image/index.json"));
}

TEST_F(BuildahE2E, ATimeoutKillsTheBuildAndLeavesNoBuildahProcessOrContainer) {
  repo_.Write("app/Dockerfile",
              "ARG BASE\nFROM $BASE\nRUN [\"/bin/busybox\", \"sleep\", \"131\"]\n");
  WriteDescription(2, "    timeout: 8s\n", "");
  repo_.Commit("a build that outlives its timeout");
  // While the build runs, its RUN step and buildah are seen (the control: the checks below
  // can see them); after the timeout, neither is left. The brackets keep the patterns from
  // matching this script.
  const std::string store = repo_ / "build/.fanout/buildah";
  const std::string script =
      "\"$0\" build -B build > build.out 2>&1 &\n"
      "for i in $(seq 300); do pgrep -f 'busybox slee[p] 131' && break; sleep 0.1; done > seen\n"
      "pgrep -f 'buildah --roo[t] " +
      store +
      "' > seen-buildah\n"
      "cp " +
      store +
      "/overlay-containers/containers.json containers-during\n"
      "wait $!; echo $? > rc\n"
      "for i in $(seq 100); do pgrep -f 'busybox slee[p] 131' > left || break; sleep 0.1; done\n"
      "for i in $(seq 100); do pgrep -f 'buildah --roo[t] " +
      store + "' > left-buildah || break; sleep 0.1; done\n";
  RunResult r = fanout::testing::Run({"sh", "-c", script, FanoutBinary()}, repo_.path(),
                                     {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(repo_ / "seen"), "")
      << "the RUN step never started: " << ReadFile(repo_ / "build.out") << Log("app");
  EXPECT_NE(ReadFile(repo_ / "seen-buildah"), "");
  EXPECT_NE(ReadFile(repo_ / "rc"), "0\n");
  EXPECT_NE(ReadFile(repo_ / "build.out").find("timed out"), std::string::npos)
      << ReadFile(repo_ / "build.out");
  EXPECT_EQ(ReadFile(repo_ / "left"), "") << "the build's RUN step outlived the timeout";
  EXPECT_EQ(ReadFile(repo_ / "left-buildah"), "") << "buildah outlived the timeout";
  // No working container is left in the shared store; the control: while the RUN step ran,
  // the store held one. (Read from the store's own record: a buildah run here, as host root,
  // would take the store's files from the build uid.)
  const json during = json::parse(ReadFile(repo_ / "containers-during"), nullptr, false);
  EXPECT_EQ(during.size(), 1u) << during.dump();
  const json after =
      json::parse(ReadFile(store + "/overlay-containers/containers.json"), nullptr, false);
  EXPECT_EQ(after, json::array()) << "a working container outlived the build";
}

TEST_F(BuildahE2E, CancellingTheBuildKillsItAndLeavesNoBuildahProcessOrContainer) {
  repo_.Write("app/Dockerfile",
              "ARG BASE\nFROM $BASE\nRUN [\"/bin/busybox\", \"sleep\", \"137\"]\n");
  repo_.Commit("a build to cancel");
  // A cancelled CI job: SIGTERM to `fanout build` alone, once the RUN step is seen running;
  // fanout passes it on to every edge. (Not SIGINT: a background job of a non-interactive
  // shell ignores it.)
  const std::string store = repo_ / "build/.fanout/buildah";
  const std::string script =
      "\"$0\" build -B build > build.out 2>&1 &\npid=$!\n"
      "for i in $(seq 300); do pgrep -f 'busybox slee[p] 137' && break; sleep 0.1; done > seen\n"
      "kill -TERM $pid\n"
      "wait $pid; echo $? > rc\n"
      "for i in $(seq 100); do pgrep -f 'busybox slee[p] 137' > left || break; sleep 0.1; done\n"
      "for i in $(seq 100); do pgrep -f 'buildah --roo[t] " +
      store + "' > left-buildah || break; sleep 0.1; done\n";
  RunResult r = fanout::testing::Run({"sh", "-c", script, FanoutBinary()}, repo_.path(),
                                     {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(repo_ / "seen"), "")
      << "the RUN step never started: " << ReadFile(repo_ / "build.out") << Log("app");
  EXPECT_NE(ReadFile(repo_ / "rc"), "0\n");
  EXPECT_EQ(ReadFile(repo_ / "left"), "") << "the build's RUN step outlived the cancel";
  EXPECT_EQ(ReadFile(repo_ / "left-buildah"), "") << "buildah outlived the cancel";
  const json after =
      json::parse(ReadFile(store + "/overlay-containers/containers.json"), nullptr, false);
  EXPECT_EQ(after, json::array()) << "a working container outlived the build";
}

TEST_F(BuildahE2E, ATimeoutOfBuildahRunByAPlainCommandLeavesAWorkingContainer) {
  // The control for the test above: the same build run as a target's plain command, where the
  // shell does not wait for buildah once signalled (fanout's script does), leaves a working
  // container in its store even with --force-rm, since the sandbox ends with the shell.
  repo_.Write(
      "slow/Dockerfile",
      "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"139\"]\n");
  ASSERT_EQ(fanout::testing::Run({"cp", repo_ / "base/busybox", repo_ / "slow/busybox"}).exit_code,
            0);
  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  slow:\n    inputs: [slow/**]\n    timeout: 8s\n"
              "    command: 'set -eu; mount --bind \"$TMPDIR\" /var/tmp; buildah --root "
              "\"$HOME/store\" --runroot \"$TMPDIR/run\" --storage-driver overlay build "
              "--isolation chroot --pull=never --layers --force-rm slow'\n");
  repo_.Commit("buildah as a plain command");
  RunResult r = Fanout({"build"});
  EXPECT_NE(r.exit_code, 0);
  ASSERT_NE(Log("slow").find("timed out"), std::string::npos) << Log("slow");
  // $HOME is emptied when the next attempt starts, not when this one ends.
  const json left = json::parse(
      ReadFile(repo_ / "build/.fanout/ws/slow/home/store/overlay-containers/containers.json"),
      nullptr, false);
  EXPECT_TRUE(left.is_array() && !left.empty()) << left.dump();
}

TEST_F(BuildahE2E, InTheProcessTierABuildahTargetFailsSayingWhyAndWhatToDo) {
  // The control: in the tier the machine gives (namespaces, as root), base builds.
  RunResult r = Fanout({"build", "base"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("base");
  repo_.Write("base/Dockerfile", "FROM scratch\nCOPY busybox /bin/sh\n");
  repo_.Commit("base changes");
  r = fanout::testing::Run({FanoutBinary(), "build", "-B", "build", "base"}, repo_.path(),
                           {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "FANOUT_SANDBOX=process"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  // Said on the console and in the failure record that `fanout report` reads.
  const std::string said = r.out + r.err;
  const std::string failure = ReadFile(repo_ / "build/targets/base/failure.json");
  for (const std::string& text : {said, failure}) {
    EXPECT_NE(text.find("image target 'base' uses the buildah engine, which cannot build in "
                        "this sandbox: in the process tier"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("'engine: docker'"), std::string::npos) << text;
  }
  // Nothing ran.
  EXPECT_EQ(Log("base").find("STEP 1/"), std::string::npos) << Log("base");
}

TEST_F(BuildahE2E, ADockerfileErrorFailsTheTargetWithBuildahsMessageInTheReport) {
  repo_.Write("app/Dockerfile", "ARG BASE\nFROM $BASE\nRUNN true\n");
  repo_.Commit("broken");
  RunResult r = Fanout({"build"});
  EXPECT_NE(r.exit_code, 0);
  const std::string log = Log("app");
  EXPECT_NE(log.find("Unknown instruction: \"RUNN\""), std::string::npos) << log;
  // The engine's message reaches what CI shows.
  const std::string junit = ReadFile(repo_ / "build/junit.xml");
  EXPECT_NE(junit.find("Unknown instruction"), std::string::npos) << junit;
  EXPECT_NE(junit.find("RUNN"), std::string::npos) << junit;
}

}  // namespace
}  // namespace fanout::testing
