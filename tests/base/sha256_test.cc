#include "base/sha256.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "test_util.h"

namespace fanout {
namespace {

TEST(Sha256, MatchesKnownDigestsShortAndLong) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // One million 'a': crosses the internal buffer in pieces of every size.
  Sha256 h;
  std::string chunk;
  std::size_t fed = 0;
  for (std::size_t n = 1; fed < 1000000; n = n * 3 + 1) {
    const std::size_t take = std::min(n, 1000000 - fed);
    h.Update(std::string(take, 'a'));
    fed += take;
  }
  EXPECT_EQ(h.HexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FieldsAreLengthPrefixedAndFilesStreamed) {
  Sha256 a, b;
  a.UpdateField("ab");
  a.UpdateField("c");
  b.UpdateField("a");
  b.UpdateField("bc");
  EXPECT_NE(a.HexDigest(), b.HexDigest());
  EXPECT_EQ(Sha256Hex("2:ab"), [] {
    Sha256 h;
    h.UpdateField("ab");
    return h.HexDigest();
  }());

  testing::TempDir dir;
  std::string big(300000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
  ASSERT_TRUE(WriteFileAtomically(dir / "f", big).ok());
  auto file = Sha256File(dir / "f");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, Sha256Hex(big));
  auto missing = Sha256File(dir / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(dir / "nope"), std::string::npos);
}

}  // namespace
}  // namespace fanout
