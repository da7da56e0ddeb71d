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
  const std::string s = DockerBuildScript(App(), {kBase}, {});
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
  EXPECT_EQ(DockerBuildScript(t, {kBase}, {}).find("--network"), std::string::npos);
}

TEST(DockerBuildScript, SecretsAreReadFromTheShellsDescriptorsWhichTheEngineDoesNotHold) {
  const std::string s = DockerBuildScript(App(), {kBase}, {{"npmrc", 7}, {"token", 9}});
  // Expanded by the shell ($$ is the script's shell), one word each.
  EXPECT_NE(s.find("--secret \"id=npmrc,src=/proc/$$/fd/7\" --secret "
                   "\"id=token,src=/proc/$$/fd/9\""),
            std::string::npos)
      << s;
  // The engine runs in a subshell that closed both first.
  EXPECT_NE(s.find("(exec 7<&- 9<&-; exec \"$@\" --iidfile"), std::string::npos) << s;
  EXPECT_NE(s.find(" services/app)\n"), std::string::npos) << s;
}

TEST(EngineSelection, PassesCacheExportsToBuildxAndStopsTheBuiltInBuilderWhichHasNone) {
  const std::string none = EngineSelection({});
  EXPECT_NE(none.find("set -- docker buildx build --load;"), std::string::npos) << none;
  EXPECT_NE(none.find("set -- docker build;"), std::string::npos) << none;

  const std::string registry =
      EngineSelection({"type=registry,ref=r.example/app:cache,mode=max", "type=local,dest=/c"});
  EXPECT_NE(registry.find("docker buildx build --load --cache-to "
                          "type=registry,ref=r.example/app:cache,mode=max --cache-to "
                          "type=local,dest=/c;"),
            std::string::npos)
      << registry;
  // Without buildx the script stops with what to do, rather than build without the export.
  EXPECT_NE(registry.find("needs '\\''docker buildx'\\''"), std::string::npos) << registry;
  EXPECT_NE(registry.find("exit 1; fi"), std::string::npos) << registry;
}

TEST(ResolveImageArgs, ReplacesEveryMentionAndLeavesTheRest) {
  EXPECT_EQ(ResolveImageArgs("{image:base} and {image:base} {image:other}", {kBase}),
            DaemonReference(kBase) + " and " + DaemonReference(kBase) + " {image:other}");
}

}  // namespace
}  // namespace fanout::image
