// The ActionResult codec, by hand-made bytes and against protoc itself: what protoc encodes
// from a text message is byte for byte what EncodeActionResult writes, protoc decodes what it
// writes to the text it was made from, and DecodeActionResult reads what protoc encodes.
#include "cache/action_result.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/sha256.h"
#include "test_util.h"

namespace fanout::cache {
namespace {

using fanout::testing::TempDir;

const std::string kHashA(64, 'a');
const std::string kHashB = Sha256Hex("log");
const std::string kHashC = Sha256Hex("");

ActionResult Sample() {
  ActionResult r;
  r.files.push_back({".fanout/record.json", {kHashA, 300}, false});
  r.files.push_back({"bin/app", {kHashB, 70000}, true});
  r.exit_code = 3;
  r.stdout_blob = BlobRef{kHashC, 0};
  return r;
}

// ---- hand-made bytes ----

std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Tag(int field, int wire_type) { return Varint((field << 3) | wire_type); }
std::string Len(int field, const std::string& body) {
  return Tag(field, 2) + Varint(body.size()) + body;
}
std::string VarintField(int field, std::uint64_t v) { return Tag(field, 0) + Varint(v); }
std::string Digest(const std::string& hash, std::uint64_t size) {
  return Len(1, hash) + (size ? VarintField(2, size) : "");
}
std::string File(const std::string& path, const std::string& digest, bool exec = false) {
  return Len(1, path) + Len(2, digest) + (exec ? VarintField(4, 1) : "");
}

std::string DecodeError(const std::string& bytes) {
  auto r = DecodeActionResult(bytes);
  if (r.ok()) return "(decoded)";
  return r.error().message;
}

TEST(ActionResult, RoundTripsFilesExitCodeAndStdout) {
  const ActionResult r = Sample();
  auto back = DecodeActionResult(EncodeActionResult(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
}

TEST(ActionResult, RoundTripsNegativeAndLargeExitCodes) {
  for (int code : {-1, -2147483647 - 1, 2147483647, 1, 255}) {
    ActionResult r;
    r.exit_code = code;
    const std::string bytes = EncodeActionResult(r);
    auto back = DecodeActionResult(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->exit_code, code);
    // int32 negatives are sign-extended to ten bytes, as protobuf writes them.
    if (code < 0) {
      EXPECT_EQ(bytes.size(), 11u);
    }
  }
}

TEST(ActionResult, EncodesTheDocumentedLayoutInTheGivenOrder) {
  ActionResult r;
  r.files.push_back({"z", {kHashA, 5}, true});
  r.files.push_back({"a", {kHashB, 200}, false});
  r.exit_code = 0;
  r.stdout_blob = BlobRef{kHashC, 7};
  const std::string expected = Len(2, File("z", Digest(kHashA, 5), true)) +
                               Len(2, File("a", Digest(kHashB, 200))) + Len(6, Digest(kHashC, 7));
  EXPECT_EQ(EncodeActionResult(r), expected);
}

TEST(ActionResult, OmitsProto3Defaults) {
  EXPECT_EQ(EncodeActionResult(ActionResult{}), "");
  ActionResult r;
  r.files.push_back({"empty", {kHashC, 0}, false});
  // No exit_code (0), no is_executable (false), no size_bytes (0); the digest message is set,
  // so it is written.
  EXPECT_EQ(EncodeActionResult(r), Len(2, File("empty", Digest(kHashC, 0))));
  r.exit_code = 1;
  EXPECT_EQ(EncodeActionResult(r), Len(2, File("empty", Digest(kHashC, 0))) + VarintField(4, 1));
}

TEST(ActionResult, SkipsUnknownFieldsOfEveryWireType) {
  const std::string fixed64 = Tag(15, 1) + std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  const std::string fixed32 = Tag(21, 5) + std::string("\xff\xff\xff\xff", 4);
  // Field 9 is execution_metadata, which bazel-remote adds: a message we do not read.
  const std::string metadata = Len(9, Len(1, "worker-1") + VarintField(3, 99));
  const std::string digest = Tag(3, 5) + std::string("abcd") + Digest(kHashA, 12) + fixed64;
  const std::string file = VarintField(3, 300) + Len(5, "inline contents") + Len(1, "out/x") +
                           Len(2, digest) + fixed32 + VarintField(4, 1) + Len(7, "props");
  const std::string bytes = metadata + fixed64 + Len(2, file) + VarintField(100000, 1) + fixed32 +
                            VarintField(4, 2) + Len(8, Digest(kHashB, 3)) +
                            Len(6, Digest(kHashC, 9)) + Len(1 << 20, "big field number");
  auto r = DecodeActionResult(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ActionResult expected;
  expected.files.push_back({"out/x", {kHashA, 12}, true});
  expected.exit_code = 2;
  expected.stdout_blob = BlobRef{kHashC, 9};
  EXPECT_EQ(*r, expected);
}

TEST(ActionResult, RefusesTruncatedBytes) {
  const std::string whole = EncodeActionResult(Sample());
  // Cut inside the first output file: its length says more bytes than remain.
  EXPECT_NE(DecodeError(whole.substr(0, 10)).find("truncated: field 2 at byte 0"),
            std::string::npos)
      << DecodeError(whole.substr(0, 10));
  EXPECT_NE(DecodeError("\x80").find("truncated field tag at byte 0"), std::string::npos);
  EXPECT_NE(DecodeError(Tag(4, 0) + "\xff").find("truncated value of field 4"), std::string::npos);
  EXPECT_NE(DecodeError(Tag(15, 1) + "1234567").find("needs 8 bytes, 7 remain"), std::string::npos);
  EXPECT_NE(DecodeError(Tag(15, 5) + "12").find("needs 4 bytes, 2 remain"), std::string::npos);
  EXPECT_NE(DecodeError(Tag(2, 2)).find("truncated value of field 2"), std::string::npos);
  // Every prefix either fails as truncated or reads the whole fields before the cut.
  for (std::size_t n = 0; n < whole.size(); ++n) {
    auto r = DecodeActionResult(whole.substr(0, n));
    if (r.ok()) {
      EXPECT_LE(r->files.size(), 2u) << n;
      continue;
    }
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos)
        << n << ": " << r.error().message;
  }
}

TEST(ActionResult, RefusesDigestsThatAreNot64LowercaseHex) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string(64, 'A'), "hash 'AAAA"},
      {std::string(63, 'a'), "is not 64 lowercase hex digits"},
      {std::string(65, 'a'), "is not 64 lowercase hex digits"},
      {std::string(63, 'a') + "g", "is not 64 lowercase hex digits"},
      {"", "hash '' is not 64 lowercase hex digits"},
  };
  for (const auto& [hash, message] : cases) {
    const std::string err = DecodeError(Len(2, File("a", Digest(hash, 1))));
    EXPECT_NE(err.find("output_files[0].digest: hash"), std::string::npos) << err;
    EXPECT_NE(err.find(message), std::string::npos) << err;
    const std::string out_err = DecodeError(Len(6, Digest(hash, 1)));
    EXPECT_NE(out_err.find("stdout_digest: hash"), std::string::npos) << out_err;
  }
  EXPECT_NE(DecodeError(Len(2, Len(1, "a"))).find("output_files[0]: output file 'a' has no digest"),
            std::string::npos);
  EXPECT_NE(DecodeError(Len(2, File("a", Len(1, kHashA) + VarintField(2, ~std::uint64_t{0}))))
                .find("size_bytes is negative (-1)"),
            std::string::npos);
  // The second file is the one named.
  EXPECT_NE(DecodeError(Len(2, File("a", Digest(kHashA, 1))) + Len(2, File("b", Digest("x", 1))))
                .find("output_files[1].digest: hash 'x'"),
            std::string::npos);
}

TEST(ActionResult, RefusesBadPaths) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "path is empty"},
      {"/etc/passwd", "is absolute"},
      {"..", "has a '..' component"},
      {"a/../../b", "has a '..' component"},
      {"a/..", "has a '..' component"},
      {".", "has a '.' component"},
      {"./a", "has a '.' component"},
      {"a/./b", "has a '.' component"},
      {"a//b", "has an empty component"},
      {"a/", "has an empty component"},
      {std::string("a\0b", 3), "path 'a\\x00b' contains a NUL byte"},
  };
  for (const auto& [path, message] : cases) {
    const std::string err = DecodeError(Len(2, File(path, Digest(kHashA, 1))));
    EXPECT_NE(err.find("malformed action result: output_files[0]: "), std::string::npos) << err;
    EXPECT_NE(err.find(message), std::string::npos) << path << ": " << err;
  }
  // Names that merely contain dots are fine.
  for (const char* path : {"..a", "a..", "a/.b", ".fanout/record.json", "a/b/c"}) {
    EXPECT_EQ(DecodeError(Len(2, File(path, Digest(kHashA, 1)))), "(decoded)") << path;
  }
}

TEST(ActionResult, RefusesWrongWireTypesAndInvalidTags) {
  EXPECT_NE(DecodeError(VarintField(2, 1))
                .find("field 2 (output_files) has wire type 0 (varint), expected 2"),
            std::string::npos)
      << DecodeError(VarintField(2, 1));
  EXPECT_NE(DecodeError(Len(4, "x")).find("field 4 (exit_code) has wire type 2"),
            std::string::npos);
  EXPECT_NE(DecodeError(Len(2, Len(1, "a") + Len(2, VarintField(1, 5))))
                .find("output_files[0].digest: field 1 (hash) has wire type 0"),
            std::string::npos);
  EXPECT_NE(DecodeError(Tag(3, 3)).find("unsupported wire type 3 (start group)"),
            std::string::npos);
  EXPECT_NE(DecodeError(Tag(3, 6)).find("unsupported wire type 6"), std::string::npos);
  EXPECT_NE(DecodeError(Tag(0, 0) + Varint(1)).find("invalid field number 0 at byte 0"),
            std::string::npos);
  // An eleven-byte varint is not one.
  EXPECT_NE(DecodeError(Tag(4, 0) + std::string(10, '\x80') + "\x01").find("truncated"),
            std::string::npos);
}

TEST(ActionResult, LaterScalarsWinAndRepeatedDigestsMerge) {
  // Protobuf semantics: the last value of a scalar wins; a message field seen twice merges.
  auto r = DecodeActionResult(VarintField(4, 5) + VarintField(4, 7) + Len(6, Len(1, kHashA)) +
                              Len(6, VarintField(2, 9)));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->stdout_blob, (BlobRef{kHashA, 9}));
}

// ---- against protoc ----

constexpr const char* kProto = R"(syntax = "proto3";
package build.bazel.remote.execution.v2;
message Digest {
  string hash = 1;
  int64 size_bytes = 2;
}
message OutputFile {
  string path = 1;
  Digest digest = 2;
  bool is_executable = 4;
  bytes contents = 5;
}
message ExecutedActionMetadata {
  string worker = 1;
}
message ActionResult {
  repeated OutputFile output_files = 2;
  int32 exit_code = 4;
  Digest stdout_digest = 6;
  Digest stderr_digest = 8;
  ExecutedActionMetadata execution_metadata = 9;
}
)";

class Protoc : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/usr/bin/protoc", X_OK), 0)
        << "protoc is missing: install protobuf-compiler (scripts/setup does)";
    fanout::testing::WriteFile(dir_ / "remote_execution.proto", kProto);
  }
  /// protoc --decode of `bytes`: the text format, or a failure of the test.
  std::string Decode(const std::string& bytes) {
    fanout::testing::WriteFile(dir_ / "in.bin", bytes);
    auto r = fanout::testing::Sh(
        "protoc -I. --decode=build.bazel.remote.execution.v2.ActionResult "
        "remote_execution.proto < in.bin",
        dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  /// protoc --encode of `text`.
  std::string Encode(const std::string& text) {
    fanout::testing::WriteFile(dir_ / "in.txt", text);
    auto r = fanout::testing::Sh(
        "protoc -I. --encode=build.bazel.remote.execution.v2.ActionResult "
        "remote_execution.proto < in.txt > out.bin",
        dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return fanout::testing::ReadFile(dir_ / "out.bin");
  }
  TempDir dir_;
};

TEST_F(Protoc, DecodesWhatWeEncodeToTheSameMessage) {
  const std::string text = Decode(EncodeActionResult(Sample()));
  EXPECT_EQ(text,
            "output_files {\n"
            "  path: \".fanout/record.json\"\n"
            "  digest {\n"
            "    hash: \"" +
                kHashA +
                "\"\n"
                "    size_bytes: 300\n"
                "  }\n"
                "}\n"
                "output_files {\n"
                "  path: \"bin/app\"\n"
                "  digest {\n"
                "    hash: \"" +
                kHashB +
                "\"\n"
                "    size_bytes: 70000\n"
                "  }\n"
                "  is_executable: true\n"
                "}\n"
                "exit_code: 3\n"
                "stdout_digest {\n"
                "  hash: \"" +
                kHashC +
                "\"\n"
                "}\n");
  ActionResult negative;
  negative.exit_code = -2;
  EXPECT_EQ(Decode(EncodeActionResult(negative)), "exit_code: -2\n");
}

TEST_F(Protoc, EncodesTheSameBytesAsWeDo) {
  // protoc writes fields in number order and omits proto3 defaults, as EncodeActionResult must.
  ActionResult r = Sample();
  std::string text = "output_files { path: \".fanout/record.json\" digest { hash: \"" + kHashA +
                     "\" size_bytes: 300 } is_executable: false }\n"
                     "output_files { path: \"bin/app\" digest { hash: \"" +
                     kHashB +
                     "\" size_bytes: 70000 } is_executable: true }\n"
                     "exit_code: 3\n"
                     "stdout_digest { hash: \"" +
                     kHashC + "\" size_bytes: 0 }\n";
  EXPECT_EQ(Encode(text), EncodeActionResult(r));
  r.exit_code = 0;
  r.stdout_blob.reset();
  EXPECT_EQ(Encode("output_files { path: \".fanout/record.json\" digest { hash: \"" + kHashA +
                   "\" size_bytes: 300 } }\n"
                   "output_files { path: \"bin/app\" digest { hash: \"" +
                   kHashB + "\" size_bytes: 70000 } is_executable: true }\nexit_code: 0\n"),
            EncodeActionResult(r));
  ActionResult negative;
  negative.exit_code = -1;
  EXPECT_EQ(Encode("exit_code: -1\n"), EncodeActionResult(negative));
}

TEST_F(Protoc, WeDecodeWhatProtocEncodesSkippingFieldsWeDoNotRead) {
  const std::string bytes = Encode(
      "execution_metadata { worker: \"bazel-remote\" }\n"
      "output_files { path: \"out/image/index.json\" digest { hash: \"" +
      kHashA +
      "\" size_bytes: 12345678901 } is_executable: true contents: \"\\000\\001inline\" }\n"
      "output_files { path: \"log.txt\" digest { hash: \"" +
      kHashB +
      "\" } }\n"
      "exit_code: 0\n"
      "stderr_digest { hash: \"" +
      kHashA +
      "\" size_bytes: 1 }\n"
      "stdout_digest { hash: \"" +
      kHashC + "\" size_bytes: 42 }\n");
  ASSERT_FALSE(bytes.empty());
  auto r = DecodeActionResult(bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ActionResult expected;
  expected.files.push_back({"out/image/index.json", {kHashA, 12345678901}, true});
  expected.files.push_back({"log.txt", {kHashB, 0}, false});
  expected.stdout_blob = BlobRef{kHashC, 42};
  EXPECT_EQ(*r, expected);
}

}  // namespace
}  // namespace fanout::cache
