#include "context_fixture.h"

#include <unistd.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "image/oci_layout.h"

namespace fanout::testing {

using nlohmann::json;

void ContextE2E::SetUpTestSuite() {
  missing_ = ImageToolsMissing();
  if (missing_.empty()) daemon_ = new DockerDaemon();
}

void ContextE2E::TearDownTestSuite() {
  delete daemon_;
  daemon_ = nullptr;
}

void ContextE2E::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << missing_;
  ASSERT_TRUE(missing_.empty()) << missing_;
  ASSERT_TRUE(daemon_->ok()) << daemon_->error();
}

RunResult ContextE2E::Fanout(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {FanoutBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return fanout::testing::Run(
      argv, repo_.path(), {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
}

ContextE2E::Paths ContextE2E::AffectedPaths(const std::string& base, const std::string& target,
                                            std::vector<std::string>* rules) {
  RunResult r = Fanout({"affected", "--base", base, "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  Paths paths;
  if (r.exit_code != 0) return paths;
  const json result = json::parse(r.out);  // outlives the loop, unlike a temporary
  for (const json& t : result["affected"]) {
    if (t["name"] != target) continue;
    for (const json& reason : t["reasons"]) {
      if (reason["kind"] != "input") continue;
      paths.insert(reason["path"].get<std::string>().substr(std::string("ctx/").size()));
      if (rules) rules->push_back(reason.value("rule", ""));
    }
  }
  return paths;
}

ContextE2E::Paths ContextE2E::LayerFiles(const std::string& tar_command) {
  RunResult r = Sh(tar_command + " | tar -ti");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Paths files;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("ctx/", 0) == 0 && line.back() != '/') files.insert(line.substr(4));
  }
  return files;
}

ContextE2E::Paths ContextE2E::BuiltFiles(const std::string& target) {
  const std::string layout = repo_ / ("fanout-out/targets/" + target + "/out/image");
  auto image = image::ReadOciLayout(layout);
  EXPECT_TRUE(image.ok()) << image.error().message;
  if (!image.ok()) return {};
  const json manifest =
      json::parse(ReadFile(layout + "/blobs/sha256/" + image::DigestHex(image->manifest_digest)));
  Paths files;
  for (const json& layer : manifest["layers"]) {
    const std::string digest = layer["digest"].get<std::string>().substr(7);
    Paths more = LayerFiles("gzip -dc " + layout + "/blobs/sha256/" + digest);
    files.insert(more.begin(), more.end());
  }
  return files;
}

ContextE2E::Paths ContextE2E::EngineFiles(const std::string& tag) {
  RunResult built = fanout::testing::Run(
      {"/usr/bin/docker", "--host", daemon_->host(), "build", "-q", "-t", tag, repo_ / "ctx"},
      repo_.path(), {"DOCKER_BUILDKIT=1"});
  EXPECT_EQ(built.exit_code, 0) << built.err;
  return LayerFiles("/usr/bin/docker --host " + daemon_->host() + " save " + tag +
                    " | tar -xO --wildcards '*/layer.tar'");
}

}  // namespace fanout::testing
