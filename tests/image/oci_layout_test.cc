#include "image/oci_layout.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/sha256.h"
#include "test_util.h"

namespace fanout::image {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;

/// Writes `content` as a blob of the layout at `dir`; returns its digest.
std::string Blob(const std::string& dir, const std::string& content) {
  const std::string hex = Sha256Hex(content);
  tu::WriteFile(dir + "/blobs/sha256/" + hex, content);
  return "sha256:" + hex;
}

/// A layout with one image of two layers.
std::string MakeLayout(const tu::TempDir& d) {
  const std::string dir = d.path();
  const std::string config = Blob(
      dir, json({{"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:1", "sha256:2"}}}}}).dump());
  const std::string manifest = Blob(
      dir,
      json({{"schemaVersion", 2},
            {"config", {{"digest", config}, {"size", 10}}},
            {"layers",
             {{{"digest", "sha256:x"}, {"size", 100}}, {{"digest", "sha256:y"}, {"size", 200}}}}})
          .dump());
  tu::WriteFile(dir + "/index.json",
                json({{"schemaVersion", 2}, {"manifests", {{{"digest", manifest}}}}}).dump());
  return manifest;
}

TEST(ReadOciLayout, ReadsTheDigestsSizeAndLayers) {
  tu::TempDir d;
  const std::string manifest = MakeLayout(d);
  auto image = ReadOciLayout(d.path());
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->manifest_digest, manifest);
  EXPECT_EQ(image->diff_ids, (std::vector<std::string>{"sha256:1", "sha256:2"}));
  EXPECT_GT(image->size, 300u);
}

TEST(ReadOciLayout, RefusesWhatIsNotOneIntactImage) {
  tu::TempDir none;
  auto missing = ReadOciLayout(none.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no OCI image layout"), std::string::npos);

  tu::TempDir d;
  const std::string manifest = MakeLayout(d);
  // A blob changed after it was written no longer matches its digest.
  tu::WriteFile(d.path() + "/blobs/sha256/" + DigestHex(manifest), "{}");
  auto tampered = ReadOciLayout(d.path());
  ASSERT_FALSE(tampered.ok());
  EXPECT_NE(tampered.error().message.find("does not match its digest"), std::string::npos);

  tu::WriteFile(d.path() + "/index.json", R"({"manifests": []})");
  auto empty = ReadOciLayout(d.path());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("exactly one image"), std::string::npos);
}

TEST(DigestHex, OnlyASha256Digest) {
  EXPECT_EQ(DigestHex("sha256:" + std::string(64, 'f')), std::string(64, 'f'));
  EXPECT_EQ(DigestHex("sha256:abc"), "");
  EXPECT_EQ(DigestHex(std::string(64, 'f')), "");
}

}  // namespace
}  // namespace fanout::image
