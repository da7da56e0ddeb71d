#include "image/engines.h"

#include <gtest/gtest.h>

namespace fanout::image {
namespace {

TEST(EngineFacts, DockerNeedsTheCliSkopeoAndBuildKit) {
  std::string why;
  EngineFacts f;
  EXPECT_FALSE(f.DockerUsable(&why));
  EXPECT_EQ(why, "no docker CLI on PATH");
  f.docker = "Docker version 20.10.24+dfsg1, build 297e128";
  EXPECT_FALSE(f.DockerUsable(&why));
  EXPECT_NE(why.find("skopeo"), std::string::npos);
  f.skopeo = "skopeo version 1.9.3";
  EXPECT_TRUE(f.DockerUsable(&why)) << "Docker 20.10 has BuildKit built in";
  f.docker = "Docker version 28.2.2, build e6534b4";
  EXPECT_FALSE(f.DockerUsable(&why));
  EXPECT_NE(why.find("buildx"), std::string::npos);
  f.buildx = true;
  EXPECT_TRUE(f.DockerUsable(&why));
}

}  // namespace
}  // namespace fanout::image
