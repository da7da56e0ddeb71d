#include "image/tags.h"

#include <gtest/gtest.h>

namespace fanout::image {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ResolveTags, FillsEveryField) {
  EXPECT_EQ(ResolveTags({"r/{target}:{short}", "r/x:{commit}", "r/x:{digest}"}, "app",
                        std::string("0123456789abcdef0123"), kDigest),
            (std::vector<std::string>{"r/app:0123456789ab", "r/x:0123456789abcdef0123",
                                      "r/x:" + std::string(64, 'a')}));
}

TEST(ResolveTags, LeavesOutTagsThatNeedACommitTheBuildDoesNotHave) {
  EXPECT_EQ(ResolveTags({"r/x:{short}", "r/x:{target}"}, "app", std::nullopt, kDigest),
            std::vector<std::string>{"r/x:app"});
}

}  // namespace
}  // namespace fanout::image
