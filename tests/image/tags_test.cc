#include "image/tags.h"

#include <gtest/gtest.h>

namespace fanout::image {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');
const std::string kCommit = "0123456789abcdef0123";

TEST(ResolveTags, FillsEveryField) {
  const ResolvedTags r = ResolveTags({"r/{target}:{short}", "r/x:{commit}", "r/x:{digest}"}, "app",
                                     kCommit, /*dirty=*/false, kDigest);
  EXPECT_EQ(r.tags, (std::vector<std::string>{"r/app:0123456789ab", "r/x:0123456789abcdef0123",
                                              "r/x:" + std::string(64, 'a')}));
  EXPECT_TRUE(r.dropped.empty());
}

TEST(ResolveTags, LeavesOutTagsThatNeedACommitTheBuildDoesNotHave) {
  const ResolvedTags r =
      ResolveTags({"r/x:{short}", "r/x:{target}"}, "app", std::nullopt, false, kDigest);
  EXPECT_EQ(r.tags, std::vector<std::string>{"r/x:app"});
  EXPECT_EQ(r.dropped, std::vector<std::string>{"r/x:{short}"});
}

TEST(ResolveTags, ADirtyBuildDropsEveryTagThatNamesTheCommit) {
  const std::vector<std::string> templates = {"r/{target}:{short}", "r/x:{commit}",
                                              "r/x:latest-{target}", "r/x:{digest}",
                                              "r/x:{target}-{short}-{digest}"};
  const ResolvedTags dirty = ResolveTags(templates, "app", kCommit, /*dirty=*/true, kDigest);
  EXPECT_EQ(dirty.tags,
            (std::vector<std::string>{"r/x:latest-app", "r/x:" + std::string(64, 'a')}));
  EXPECT_EQ(dirty.dropped, (std::vector<std::string>{"r/{target}:{short}", "r/x:{commit}",
                                                     "r/x:{target}-{short}-{digest}"}));
  // No resolved tag names the commit.
  for (const std::string& t : dirty.tags) {
    EXPECT_EQ(t.find("0123456789ab"), std::string::npos) << t;
  }
  // Positive control: the same templates from a clean build keep all five, three naming it.
  const ResolvedTags clean = ResolveTags(templates, "app", kCommit, /*dirty=*/false, kDigest);
  EXPECT_EQ(clean.tags.size(), templates.size());
  EXPECT_TRUE(clean.dropped.empty());
  int naming = 0;
  for (const std::string& t : clean.tags) naming += t.find("0123456789ab") != std::string::npos;
  EXPECT_EQ(naming, 3);
}

TEST(ResolveTags, NoTemplatesNoTags) {
  EXPECT_EQ(ResolveTags({}, "app", kCommit, true, kDigest), ResolvedTags{});
}

}  // namespace
}  // namespace fanout::image
