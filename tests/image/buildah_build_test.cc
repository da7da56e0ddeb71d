#include "image/buildah_build.h"

#include <gtest/gtest.h>

#include "image/engines.h"

namespace fanout::image {
namespace {

Target App() {
  Target t;
  t.name = "app";
  t.network = false;
  t.image = ImageSpec{};
  t.image->engine = ImageEngine::kBuildah;
  t.image->context = "services/app";
  t.image->args = {{"BASE", "{image:base}"}, {"NOTE", "it's $HOME"}};
  t.image->target = "runtime";
  return t;
}

const DependencyImage kBase{"base", "/ws/deps/base/image", "sha256:" + std::string(64, 'b')};

TEST(BuildahBuildScript, BuildsOnTheDependencysLayoutInTheSharedStoreAndNeverPulls) {
  const std::string s = BuildahBuildScript(App(), {kBase}, "/b/.fanout/buildah");
  // The dependency goes from its layout into the store under its content, and the build uses
  // that name.
  const std::string ref = "fanout.invalid/dep:" + std::string(64, 'b');
  EXPECT_NE(s.find("copy --quiet oci:/ws/deps/base/image \"containers-storage:[overlay@/b/"
                   ".fanout/buildah+$runroot]" +
                   ref + "\""),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("--build-arg BASE=" + ref), std::string::npos) << s;
  EXPECT_NE(s.find("buildah --root /b/.fanout/buildah --runroot \"$runroot\" --storage-driver "
                   "overlay"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("runroot=\"$TMPDIR/buildah-run\""), std::string::npos) << s;
  EXPECT_NE(s.find("mount --bind \"$TMPDIR\" /var/tmp"), std::string::npos) << s;
  for (const char* flag :
       {"--isolation chroot", "--pull=never", "--layers", "--force-rm", "--target runtime",
        "--file services/app/Dockerfile", "oci:$FANOUT_OUT/image"}) {
    EXPECT_NE(s.find(flag), std::string::npos) << flag << " in\n" << s;
  }
  // buildah refuses --network with chroot isolation: the sandbox's namespace is the isolation.
  EXPECT_EQ(s.find("--network"), std::string::npos) << s;
  // Pushed by the ID of this build, never by a name.
  EXPECT_NE(s.find("push --quiet \"$(cat \"$TMPDIR/fanout-image-id\")\""), std::string::npos);
  // A value is one shell word, never expanded.
  EXPECT_NE(s.find("'NOTE=it'\\''s $HOME'"), std::string::npos) << s;
}

TEST(StorePathProblem, RefusesWhatAStorageReferenceOrTheShellWordCannotHold) {
  EXPECT_EQ(StorePathProblem("/b/.fanout/buildah"), "");
  for (const char* path : {"/b+c", "/b:c", "/b]", "/b@c", "/b$c", "/b\"c", "/b`c", "/b\\c"}) {
    EXPECT_NE(StorePathProblem(path), "") << path;
  }
}

TEST(BuildahRunsIn, TheNamespacesTierMapsTheIdsBuildahNeeds_AsRootOrWithSubordinateIds) {
  std::string why;
  EXPECT_TRUE(BuildahRunsIn(true, true, "", &why));
  EXPECT_FALSE(BuildahRunsIn(false, true, "", &why));
  EXPECT_NE(why.find("process tier"), std::string::npos) << why;
  // Unprivileged: the user's subordinate ids, when they can be mapped.
  EXPECT_TRUE(BuildahRunsIn(true, false, "", &why));
  EXPECT_FALSE(BuildahRunsIn(true, false, "/etc/subuid has no range for user 'u'", &why));
  EXPECT_NE(why.find("run unprivileged"), std::string::npos) << why;
  EXPECT_NE(why.find("/etc/subuid has no range for user 'u'"), std::string::npos) << why;
  EXPECT_FALSE(BuildahRunsIn(false, false, "", &why));
  EngineFacts f;
  EXPECT_FALSE(f.BuildahUsable(true, true, "", &why));
  EXPECT_EQ(why, "no buildah on PATH");
  f.buildah = "buildah version 1.28.2";
  EXPECT_FALSE(f.BuildahUsable(true, true, "", &why));
  EXPECT_NE(why.find("skopeo"), std::string::npos) << why;
  f.skopeo = "skopeo version 1.9.3";
  EXPECT_TRUE(f.BuildahUsable(true, true, "", &why));
}

}  // namespace
}  // namespace fanout::image
