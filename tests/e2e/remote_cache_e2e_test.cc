// End-to-end: the remote action cache (docs/cache.md) against a real HTTP server, Debian's
// nginx with WebDAV on loopback (nginx_dav.h). Two "runners" (clones with their own build
// directories and local caches) share results through it; a server that goes away during a
// build costs a warning, never the build; a read-only client (pull requests) uploads nothing;
// credentials come from a netrc file the runner names.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nginx_dav.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

constexpr const char* kDescription = R"yaml(version: 1
targets:
  base:
    command: echo "base $(cat a.txt)" > "$FANOUT_OUT/base.txt"
    inputs: [a.txt]
    artifacts: [base.txt]
  app:
    command: cat "$FANOUT_DEPS/base/base.txt" b.txt > "$FANOUT_OUT/app.txt"
    inputs: [b.txt]
    deps: [base]
    artifacts: [app.txt]
  slow:
    command: sleep 2; cat b.txt > "$FANOUT_OUT/slow.txt"
    inputs: [b.txt]
    artifacts: [slow.txt]
)yaml";

class RemoteCacheE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = NginxMissing(); !why.empty()) GTEST_SKIP() << why;
    server_ = std::make_unique<NginxDav>();
    ASSERT_TRUE(server_->ok()) << server_->error();
    repo_.Write("fanout.yaml", kDescription);
    repo_.Write("a.txt", "a1\n");
    repo_.Write("b.txt", "b1\n");
    repo_.Commit();
    chmod(runners_.path().c_str(), 0755);
    ASSERT_EQ(
        fanout::testing::Run({"git", "clone", "-q", repo_.path(), runners_ / "second"}).exit_code,
        0);
  }
  /// `fanout build` in `where` with its own local cache `local` and `args`.
  RunResult Build(const std::string& where, const std::string& local,
                  std::vector<std::string> args) {
    std::vector<std::string> argv = {FanoutBinary(), "build", "-B", "out", "--cache-dir", local};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, where, {"FANOUT_CACHE=on"});
  }
  std::map<std::string, std::string> Statuses(const std::string& where) {
    std::map<std::string, std::string> out;
    const json manifest = json::parse(ReadFile(where + "/out/manifest.json"));
    for (const json& t : manifest["targets"]) {
      out[t["name"]] = t["status"];
    }
    return out;
  }
  /// The files the server stores, relative to its store ("ac/..." and "cas/...").
  std::vector<std::string> Stored() {
    RunResult r = Sh("cd '" + server_->StorePath() + "' 2>/dev/null && find . -type f | sort");
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(r.out.substr(start + 2, nl - start - 2));
    }
    return out;
  }

  std::unique_ptr<NginxDav> server_;
  GitRepo repo_;
  TempDir runners_, local1_, local2_;
};

const std::map<std::string, std::string> kAllCached = {
    {"app", "cached"}, {"base", "cached"}, {"slow", "cached"}};

TEST_F(RemoteCacheE2E, ASecondRunnerRestoresEverythingFromTheServer) {
  RunResult r = Build(repo_.path(), local1_.path(), {"--cache-url", server_->Url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses(repo_.path())["app"], "succeeded");
  // Three entries, each with its record, artifact and log.
  std::vector<std::string> stored = Stored();
  EXPECT_EQ(std::count_if(stored.begin(), stored.end(),
                          [](const std::string& p) { return p.rfind("ac/", 0) == 0; }),
            3)
      << r.out;

  const std::string second = runners_ / "second";
  r = Build(second, local2_.path(), {"--cache-url", server_->Url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses(second), kAllCached) << r.out;
  EXPECT_EQ(ReadFile(second + "/out/targets/app/out/app.txt"), "base a1\nb1\n");
  const json result = json::parse(ReadFile(second + "/out/targets/app/result.json"));
  EXPECT_EQ(result["cached"]["store"], "remote");
  EXPECT_EQ(result["cached"]["where"], server_->Url());

  // What the server gave was kept in the second runner's local cache: without the server, a
  // new build directory there restores it all.
  server_->Stop();
  ASSERT_EQ(fanout::testing::Run({"rm", "-rf", second + "/out"}).exit_code, 0);
  r = Build(second, local2_.path(), {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses(second), kAllCached) << r.out;
}

TEST_F(RemoteCacheE2E, AServerThatGoesAwayMidBuildCostsAWarningNotTheBuild) {
  RunResult r;
  std::thread build([&] {
    r = Build(repo_.path(), local1_.path(), {"--cache-url", server_->Url(), "-j", "4"});
  });
  // `slow` runs for 2 s: the server is gone before it stores its result.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  server_->Stop();
  build.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses(repo_.path())["slow"], "succeeded");
  EXPECT_NE((r.out + r.err).find("the remote action cache " + server_->Url()), std::string::npos)
      << r.out << r.err;
  // Unreachable from the start: the same.
  ASSERT_EQ(fanout::testing::Run({"rm", "-rf", repo_ / "out"}).exit_code, 0);
  TempDir empty;
  r = Build(repo_.path(), empty.path(), {"--cache-url", server_->Url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses(repo_.path())["app"], "succeeded");
  EXPECT_NE((r.out + r.err).find("failed"), std::string::npos) << r.out << r.err;
}

TEST_F(RemoteCacheE2E, AReadOnlyClientUploadsNothingButRestores) {
  RunResult r = Build(repo_.path(), local1_.path(),
                      {"--cache-url", server_->Url(), "--cache-upload", "false"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Stored(), std::vector<std::string>{}) << server_->AccessLog();
  EXPECT_EQ(server_->AccessLog().find("PUT "), std::string::npos) << server_->AccessLog();
  // A trusted build fills the server; the read-only one then restores from it.
  ASSERT_EQ(Build(runners_ / "second", local2_.path(), {"--cache-url", server_->Url()}).exit_code,
            0);
  TempDir fresh;
  ASSERT_EQ(fanout::testing::Run({"rm", "-rf", repo_ / "out"}).exit_code, 0);
  r = Build(repo_.path(), fresh.path(), {"--cache-url", server_->Url(), "--cache-upload=false"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses(repo_.path()), kAllCached);
}

TEST_F(RemoteCacheE2E, CredentialsComeFromTheRunnersNetrc) {
  // Without credentials the server refuses (401): a warning, and the build goes on.
  RunResult r = Build(repo_.path(), local1_.path(), {"--cache-url", server_->AuthUrl()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("401"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(Stored(), std::vector<std::string>{});
  ASSERT_EQ(fanout::testing::Run({"rm", "-rf", repo_ / "out"}).exit_code, 0);
  TempDir fresh;
  r = Build(repo_.path(), fresh.path(),
            {"--cache-url", server_->AuthUrl(), "--cache-netrc", server_->NetrcFile()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(Stored().empty()) << r.out << r.err;
  // Bad options are usage errors before anything runs.
  r = Build(repo_.path(), fresh.path(), {"--cache-url", "ftp://example.invalid/cache"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("http"), std::string::npos) << r.err;
  r = Build(repo_.path(), fresh.path(), {"--cache", "sometimes"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected on, read or off"), std::string::npos) << r.err;
}

TEST_F(RemoteCacheE2E, LibcurlIsLoadedOnlyForTheRemoteCache) {
  // libcurl and the 27 libraries it brings cost every fanout process about 15 ms of start-up
  // (src/cache/libcurl.h): the binary does not link it, and loads it when a remote cache is
  // used. The loader's own trace (LD_DEBUG=files) says which libraries a process loaded.
  RunResult needed = fanout::testing::Run({"readelf", "-d", FanoutBinary()});
  ASSERT_EQ(needed.exit_code, 0) << needed.err;
  EXPECT_NE(needed.out.find("(NEEDED)"), std::string::npos) << needed.out;
  EXPECT_EQ(needed.out.find("libcurl"), std::string::npos) << needed.out;
  RunResult local =
      fanout::testing::Run({FanoutBinary(), "build", "-B", "out", "--cache-dir", local1_.path()},
                           repo_.path(), {"FANOUT_CACHE=on", "LD_DEBUG=files"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_NE(local.err.find("file=libstdc++"), std::string::npos) << "the trace lists libraries";
  EXPECT_EQ(local.err.find("libcurl.so.4"), std::string::npos) << "loaded without a remote cache";
  // Control: with a remote cache the same trace shows libcurl loaded, and the cache works.
  ASSERT_EQ(fanout::testing::Run({"rm", "-rf", repo_ / "out"}).exit_code, 0);
  TempDir fresh;
  RunResult remote = fanout::testing::Run({FanoutBinary(), "build", "-B", "out", "--cache-dir",
                                           fresh.path(), "--cache-url", server_->Url()},
                                          repo_.path(), {"FANOUT_CACHE=on", "LD_DEBUG=files"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_NE(remote.err.find("file=libcurl.so.4"), std::string::npos);
  EXPECT_FALSE(Stored().empty());
  // A libcurl that cannot be loaded (here a file that is no library, found first through
  // LD_LIBRARY_PATH): `fanout build --cache-url` refuses before anything runs, naming the
  // library and the package; an edge under plain ninja warns and builds without the remote.
  TempDir broken;
  WriteFile(broken / "libcurl.so.4", "not a library\n");
  ASSERT_EQ(fanout::testing::Run({"rm", "-rf", repo_ / "out"}).exit_code, 0);
  RunResult refused =
      fanout::testing::Run({FanoutBinary(), "build", "-B", "out", "--cache-dir", fresh.path(),
                            "--cache-url", server_->Url()},
                           repo_.path(), {"FANOUT_CACHE=on", "LD_LIBRARY_PATH=" + broken.path()});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("cannot load libcurl.so.4"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("install the package libcurl4"), std::string::npos) << refused.err;
  EXPECT_FALSE(Exists(repo_ / "out/manifest.json"));
  ASSERT_EQ(fanout::testing::Run({FanoutBinary(), "gen", "-B", "out"}, repo_.path()).exit_code, 0);
  RunResult edge = fanout::testing::Run(
      {"ninja", "-C", repo_ / "out"}, repo_.path(),
      {"FANOUT_CACHE=on", "FANOUT_CACHE_DIR=" + fresh.path(), "FANOUT_CACHE_URL=" + server_->Url(),
       "LD_LIBRARY_PATH=" + broken.path()});
  EXPECT_EQ(edge.exit_code, 0) << edge.out << edge.err;
  EXPECT_NE((edge.out + edge.err).find("the remote action cache is not used: cannot load"),
            std::string::npos)
      << edge.out << edge.err;
  EXPECT_TRUE(Exists(repo_ / "out/manifest.json"));
}

}  // namespace
}  // namespace fanout::testing
