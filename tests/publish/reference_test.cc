#include "publish/reference.h"

#include <gtest/gtest.h>

namespace fanout::publish {
namespace {

TEST(ParseReference, SplitsRepositoryAndTag) {
  auto r = ParseReference("registry.example:5000/team/app:v1.2");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->repository, "registry.example:5000/team/app");
  EXPECT_EQ(r->tag, "v1.2");
  EXPECT_EQ(r->Tagged(), "registry.example:5000/team/app:v1.2");
  EXPECT_EQ(r->ByDigest("sha256:ab"), "registry.example:5000/team/app@sha256:ab");
}

TEST(ParseReference, APortIsNotATag) {
  auto r = ParseReference("127.0.0.1:5000/app");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->repository, "127.0.0.1:5000/app");
  EXPECT_EQ(r->tag, "latest");
}

TEST(ParseReference, AcceptsDockerHubStyleNames) {
  for (const char* ok : {"app", "app:1", "team/app:1", "localhost/app:x", "a__b/c-d.e:F_9",
                         "a---b:1", "x/y/z:0123456789abcdef"}) {
    EXPECT_TRUE(ParseReference(ok).ok()) << ok;
  }
}

TEST(ParseReference, RefusesWhatRegistriesRefuse) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {
           Case{"App:1", "'App' is not a valid repository name component"},
           Case{"team/App:1", "'App' is not a valid repository name component"},
           Case{"reg.example/app:", "the tag '' is not valid"},
           Case{"reg.example/app:-x", "the tag '-x' is not valid"},
           Case{"reg.example/app:a/b", "'app:a' is not a valid repository name component"},
           Case{"reg.example/app@sha256:00", "may not name a digest"},
           Case{"reg.example//app:1", "'' is not a valid repository name component"},
           Case{"reg_x.example:5000/app:1", "'reg_x.example:5000' is not a valid registry host"},
           Case{"reg.example:50a/app:1", "is not a valid registry host"},
           Case{"reg.example/a..b:1", "'a..b' is not a valid repository name component"},
           Case{":1", "no repository name"},
       }) {
    auto r = ParseReference(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos)
        << c.text << ": " << r.error().message;
  }
  EXPECT_FALSE(ParseReference("app:" + std::string(129, 'a')).ok());
  EXPECT_TRUE(ParseReference("app:" + std::string(128, 'a')).ok());
}

}  // namespace
}  // namespace fanout::publish
