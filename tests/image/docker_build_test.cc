#include "image/docker_build.h"

#include <gtest/gtest.h>

namespace fanout::image {
namespace {

Target App() {
  Target t;
  t.name = "app";
  t.network = false;
  t.image = ImageSpec{};
  t.image->context = "services/app";
  t.image->args = {{"BASE", "{image:base}"}, {"NOTE", "it's $HOME"}};
  t.image->target = "runtime";
  return t;
}

const DependencyImage kBase{"base", "/ws/deps/base/image", "sha256:" + std::string(64, 'b')};

TEST(DockerBuildScript, LoadsDependenciesUnderTheirContentAndBuildsOnThem) {
  const std::string s = DockerBuildScript(App(), {kBase});
  const std::string ref = "fanout.invalid/dep:" + std::string(64, 'b');
  EXPECT_EQ(DaemonReference(kBase), ref);
  EXPECT_NE(s.find("oci:/ws/deps/base/image docker-daemon:" + ref), std::string::npos) << s;
  EXPECT_NE(s.find("--build-arg BASE=" + ref), std::string::npos) << s;
  EXPECT_NE(s.find("--network none"), std::string::npos) << "network: false reaches RUN steps";
  EXPECT_NE(s.find("--target runtime"), std::string::npos);
  EXPECT_NE(s.find("--file services/app/Dockerfile"), std::string::npos);
  EXPECT_NE(s.find("oci:$FANOUT_OUT/image"), std::string::npos);
  // A value is one shell word, never expanded.
  EXPECT_NE(s.find("'NOTE=it'\\''s $HOME'"), std::string::npos) << s;
}

TEST(DockerBuildScript, ANetworkedTargetKeepsTheEnginesNetwork) {
  Target t = App();
  t.network = true;
  EXPECT_EQ(DockerBuildScript(t, {kBase}).find("--network"), std::string::npos);
}

TEST(ResolveImageArgs, ReplacesEveryMentionAndLeavesTheRest) {
  EXPECT_EQ(ResolveImageArgs("{image:base} and {image:base} {image:other}", {kBase}),
            DaemonReference(kBase) + " and " + DaemonReference(kBase) + " {image:other}");
}

}  // namespace
}  // namespace fanout::image
