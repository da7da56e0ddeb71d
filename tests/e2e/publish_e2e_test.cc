// End-to-end: `fanout publish` pushes images built by a real Docker daemon (docker_daemon.h)
// to a real registry with authentication (local_registry.h), both the tests' own, on this
// machine; nothing leaves it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "base/file_util.h"
#include "base/sha256.h"
#include "docker_daemon.h"
#include "local_registry.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class PublishE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    missing_ = ImageToolsMissing();
    if (missing_.empty()) missing_ = RegistryMissing();
    if (missing_.empty()) daemon_ = new DockerDaemon();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << missing_;
    ASSERT_TRUE(missing_.empty()) << missing_;
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
    // A machine whose daemon cannot run a build step (a chroot) lacks a feature: skipped.
    if (!daemon_->BuildProblem().empty()) GTEST_SKIP() << daemon_->BuildProblem();
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    repo_.Write("base/Dockerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
    repo_.Write("app/Dockerfile", "ARG BASE\nFROM $BASE\nCOPY hello.txt /hello.txt\n");
    repo_.Write("app/hello.txt", "hello\n");
    repo_.Write("tool/Dockerfile", "FROM scratch\nCOPY tool.txt /tool.txt\n");
    repo_.Write("tool/tool.txt", "tool 1\n");
    ASSERT_TRUE(CopyBusybox(repo_ / "base/busybox"));
    WriteDescription("");
    repo_.Commit("images");
  }

  void WriteDescription(const std::string& post_submit) {
    const std::string reg = registry_->host();
    const std::string common = "    network: false\n    sockets: [" + daemon_->socket() +
                               "]\n    pass_env: [DOCKER_HOST]\n";
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "targets:\n"
                "  base:\n" +
                    common +
                    "    image:\n      context: base\n"
                    "      tags: [\"" +
                    reg +
                    "/base:{short}\"]\n"
                    "  app:\n    deps: [base]\n" +
                    common +
                    "    image:\n      context: app\n"
                    "      args: {BASE: \"{image:base}\"}\n"
                    "      tags: [\"" +
                    reg + "/team/app:{short}\", \"" + reg +
                    "/team/app:latest\"]\n"
                    "  tool:\n" +
                    common +
                    "    image:\n      context: tool\n"
                    "      tags: [\"" +
                    reg + "/tool:{short}\", \"" + reg +
                    "/mirror/tool:{short}\"]\n"
                    "  notes:\n    command: echo notes > notes.txt\n    inputs: [tool/tool.txt]\n"
                    "    artifacts: [notes.txt]\n" +
                    post_submit);
  }

  RunResult Fanout(const std::vector<std::string>& args, const std::string& path_prefix = "") {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path(),
                                {"DOCKER_HOST=" + daemon_->host(),
                                 "PATH=" + path_prefix + "/usr/bin:/bin:/usr/sbin:/sbin"});
  }
  RunResult Publish(std::vector<std::string> extra = {}, const std::string& path_prefix = "") {
    std::vector<std::string> args = {"publish", "--insecure", "--authfile", registry_->authfile()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Fanout(args, path_prefix);
  }

  json Manifest() { return json::parse(ReadFile(repo_ / "fanout-out/manifest.json")); }
  static const json& Entry(const json& manifest, const std::string& name) {
    for (const json& t : manifest["targets"]) {
      if (t["name"] == name) return t;
    }
    static const json none;
    return none;
  }

  /// The digest of the manifest the registry serves under `reference`; "" when it has none.
  std::string RegistryDigest(const std::string& reference) {
    RunResult r =
        fanout::testing::Run({"skopeo", "inspect", "--raw", "--tls-verify=false", "--authfile",
                              registry_->authfile(), "docker://" + reference});
    if (r.exit_code != 0) return "";
    return "sha256:" + Sha256Hex(r.out);
  }

  /// Requests that write to the registry, from its access log.
  int Writes() {
    std::istringstream log(registry_->Log());
    int n = 0;
    for (std::string line; std::getline(log, line);) {
      for (const char* method : {"\"PUT ", "\"POST ", "\"PATCH "}) {
        if (line.find(method) != std::string::npos) ++n;
      }
    }
    return n;
  }

  GitRepo repo_;
  std::unique_ptr<LocalRegistry> registry_ = std::make_unique<LocalRegistry>();
  static inline std::string missing_;
  static inline DockerDaemon* daemon_ = nullptr;
};

TEST_F(PublishE2E, EveryImageGoesToItsTagsByDigestAndTheManifestSaysWhere) {
  ASSERT_EQ(Fanout({"build"}).exit_code, 0) << ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  const std::string short_commit = repo_.Git({"rev-parse", "HEAD"}).substr(0, 12);

  // Without credentials the registry refuses, and its message is what the user sees.
  RunResult anonymous = Fanout({"publish", "--insecure"});
  EXPECT_EQ(anonymous.exit_code, 1) << anonymous.out << anonymous.err;
  EXPECT_NE((anonymous.out + anonymous.err).find("authentication required"), std::string::npos)
      << anonymous.out << anonymous.err;

  RunResult r = Publish({"-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json manifest = Manifest();
  const std::string reg = registry_->host();
  const std::map<std::string, std::vector<std::string>> expected = {
      {"base", {reg + "/base@", reg + "/base:" + short_commit}},
      {"app", {reg + "/team/app@", reg + "/team/app:" + short_commit, reg + "/team/app:latest"}},
      {"tool",
       {reg + "/tool@", reg + "/mirror/tool@", reg + "/tool:" + short_commit,
        reg + "/mirror/tool:" + short_commit}},
  };
  for (const auto& [name, refs] : expected) {
    const json& image = Entry(manifest, name)["image"];
    const std::string digest = image["manifest_digest"];
    ASSERT_TRUE(image.contains("pushed")) << manifest.dump(2);
    std::vector<std::string> got;
    for (const json& p : image["pushed"]) {
      got.push_back(p["reference"]);
      EXPECT_EQ(p["digest"], digest);
      EXPECT_EQ(p["state"], "pushed") << p.dump();
      // The registry serves exactly the image the manifest names, under every reference.
      EXPECT_EQ(RegistryDigest(p["reference"]), digest) << p["reference"];
    }
    std::vector<std::string> want;
    for (const std::string& ref : refs) want.push_back(ref.back() == '@' ? ref + digest : ref);
    EXPECT_EQ(got, want) << name;
  }
  EXPECT_FALSE(Entry(manifest, "notes").contains("image"));
}

TEST_F(PublishE2E, PublishingAgainSendsNothing) {
  ASSERT_EQ(Fanout({"build"}).exit_code, 0);
  const int before = Writes();
  RunResult first = Publish();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  // Positive control: the first publish wrote manifests and blobs, and the log shows it.
  const int after_first = Writes();
  ASSERT_GT(after_first, before) << registry_->Log();

  RunResult again = Publish();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(Writes(), after_first) << registry_->Log();
  const json manifest = Manifest();
  for (const char* name : {"base", "app", "tool"}) {
    for (const json& p : Entry(manifest, name)["image"]["pushed"]) {
      EXPECT_EQ(p["state"], "present") << p.dump();
    }
  }
}

TEST_F(PublishE2E, PushesRunInParallelUpToTheJobCount) {
  ASSERT_EQ(Fanout({"build"}).exit_code, 0);
  // skopeo, wrapped to log when each copy starts and ends (and to last long enough to meet).
  TempDir bin;
  const std::string events = bin / "events";
  WriteFile(bin / "skopeo",
            "#!/bin/sh\n"
            "if [ \"$3\" = copy ]; then\n"
            "  echo start >> " +
                events +
                "\n  sleep 0.5\n  /usr/bin/skopeo \"$@\"; rc=$?\n"
                "  echo end >> " +
                events +
                "\n  exit $rc\nfi\n"
                "exec /usr/bin/skopeo \"$@\"\n");
  ASSERT_EQ(fanout::testing::Run({"chmod", "+x", bin / "skopeo"}).exit_code, 0);
  auto most_at_once = [&] {
    std::istringstream in(ReadFile(events));
    int now = 0, most = 0, copies = 0;
    for (std::string line; std::getline(in, line);) {
      if (line == "start") {
        most = std::max(most, ++now);
        ++copies;
      } else {
        --now;
      }
    }
    EXPECT_GT(copies, 0);
    return most;
  };
  RunResult two = Publish({"-j", "2"}, bin.path() + ":");
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_EQ(most_at_once(), 2);

  // A fresh registry, one push at a time.
  fanout::testing::Run({"rm", "-f", events});
  registry_ = std::make_unique<LocalRegistry>();
  ASSERT_TRUE(registry_->ok()) << registry_->error();
  WriteDescription("");
  repo_.Commit("registry moved");
  ASSERT_EQ(Fanout({"build"}).exit_code, 0);
  RunResult one = Publish({"-j", "1"}, bin.path() + ":");
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_EQ(most_at_once(), 1);
}

TEST_F(PublishE2E, FailedAndUnaffectedImagesAreNotPushed) {
  // tool fails to build: the build fails, and publish refuses unless told.
  repo_.Write("tool/Dockerfile", "FROM scratch\nCOPY missing.txt /\n");
  repo_.Commit("tool breaks");
  ASSERT_EQ(Fanout({"build"}).exit_code, 1);
  RunResult refused = Publish();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--allow-failed"), std::string::npos) << refused.err;
  EXPECT_EQ(Writes(), 0) << registry_->Log();

  RunResult partial = Publish({"--allow-failed"});
  ASSERT_EQ(partial.exit_code, 0) << partial.out << partial.err;
  const std::string short_commit = repo_.Git({"rev-parse", "HEAD"}).substr(0, 12);
  EXPECT_NE(RegistryDigest(registry_->host() + "/base:" + short_commit), "");
  EXPECT_EQ(RegistryDigest(registry_->host() + "/tool:" + short_commit), "");

  // A change to tool alone: base and app are unaffected, skipped, and not pushed again.
  repo_.Write("tool/Dockerfile", "FROM scratch\nCOPY tool.txt /tool.txt\n");
  std::string previous = repo_.Git({"rev-parse", "HEAD"});
  previous.erase(previous.find_last_not_of('\n') + 1);
  repo_.Commit("tool fixed");
  RunResult build = Fanout({"build", "--base", previous});
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  const json manifest = Manifest();
  ASSERT_NE(std::find(manifest["skipped"].begin(), manifest["skipped"].end(), "app"),
            manifest["skipped"].end())
      << manifest.dump(2);
  RunResult published = Publish();
  ASSERT_EQ(published.exit_code, 0) << published.out << published.err;
  const std::string now_short = repo_.Git({"rev-parse", "HEAD"}).substr(0, 12);
  EXPECT_NE(RegistryDigest(registry_->host() + "/tool:" + now_short), "");
  EXPECT_EQ(RegistryDigest(registry_->host() + "/team/app:" + now_short), "");
}

TEST_F(PublishE2E, ThePostSubmitStepPublishes) {
  WriteDescription("post_submit:\n  command: '" + FanoutBinary() +
                   " publish -B \"$FANOUT_BUILD_DIR\" --insecure --authfile " +
                   registry_->authfile() + "'\n");
  repo_.Commit("publish after the build");
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/post_submit.log");
  const json manifest = Manifest();
  const json& app = Entry(manifest, "app")["image"];
  ASSERT_TRUE(app.contains("pushed")) << manifest.dump(2);
  EXPECT_EQ(RegistryDigest(registry_->host() + "/team/app:latest"), app["manifest_digest"]);

  // The report still takes the step's record as this manifest's, though publish rewrote it.
  RunResult report = Fanout({"report"});
  EXPECT_NE(report.out.find("post-submit succeeded"), std::string::npos) << report.out;

  // Rewriting the manifest does not make the next build publish again.
  const int writes = Writes();
  const std::string log = ReadFile(repo_ / "fanout-out/post_submit.log");
  RunResult again = Fanout({"build"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(ReadFile(repo_ / "fanout-out/post_submit.log"), log);
  EXPECT_EQ(Writes(), writes);
}

}  // namespace
}  // namespace fanout::testing
