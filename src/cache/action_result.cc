#include "cache/action_result.h"

#include <cstdint>

#include <fmt/format.h>

namespace fanout::cache {

namespace {

// Field numbers of the Remote Execution API messages (remote_execution.proto).
constexpr std::uint32_t kResultOutputFiles = 2;
constexpr std::uint32_t kResultExitCode = 4;
constexpr std::uint32_t kResultStdoutDigest = 6;
constexpr std::uint32_t kFilePath = 1;
constexpr std::uint32_t kFileDigest = 2;
constexpr std::uint32_t kFileIsExecutable = 4;
constexpr std::uint32_t kDigestHash = 1;
constexpr std::uint32_t kDigestSizeBytes = 2;

// Wire types.
constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kFixed64 = 1;
constexpr std::uint32_t kLengthDelimited = 2;
constexpr std::uint32_t kFixed32 = 5;

// ---- Encoding ----

void PutVarint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(std::uint32_t field, std::uint32_t wire_type, std::string* out) {
  PutVarint((std::uint64_t{field} << 3) | wire_type, out);
}

void PutBytes(std::uint32_t field, std::string_view bytes, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

// proto3: a scalar equal to its default (0, false, "") is not written.
std::string EncodeDigest(const BlobRef& blob) {
  std::string out;
  if (!blob.sha256.empty()) PutBytes(kDigestHash, blob.sha256, &out);
  if (blob.size != 0) {
    PutTag(kDigestSizeBytes, kVarint, &out);
    PutVarint(blob.size, &out);
  }
  return out;
}

std::string EncodeOutputFile(const OutputFile& file) {
  std::string out;
  if (!file.path.empty()) PutBytes(kFilePath, file.path, &out);
  // A message field is written whenever it is set, even when all its fields are defaults.
  PutBytes(kFileDigest, EncodeDigest(file.blob), &out);
  if (file.executable) {
    PutTag(kFileIsExecutable, kVarint, &out);
    PutVarint(1, &out);
  }
  return out;
}

// ---- Decoding ----

/// One field as read off the wire.
struct Field {
  std::uint32_t number = 0;
  std::uint32_t wire_type = 0;
  std::uint64_t varint = 0;  ///< wire type 0
  std::string_view bytes;    ///< wire type 2
};

const char* WireTypeName(std::uint32_t wire_type) {
  switch (wire_type) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "fixed64";
    case kLengthDelimited:
      return "length-delimited";
    case 3:
      return "start group";
    case 4:
      return "end group";
    case kFixed32:
      return "fixed32";
  }
  return "invalid";
}

/// Reads the fields of one message; errors name the message (`where`) and the byte offset
/// within it.
class WireReader {
 public:
  WireReader(std::string_view bytes, std::string where) : bytes_(bytes), where_(std::move(where)) {}

  bool done() const { return pos_ == bytes_.size(); }

  Error Fail(const std::string& what) const {
    if (where_.empty()) return MakeError(fmt::format("malformed action result: {}", what));
    return MakeError(fmt::format("malformed action result: {}: {}", where_, what));
  }

  /// Reads the next field, its value included (skipping is reading and ignoring).
  Status Next(Field* field) {
    const std::size_t start = pos_;
    std::uint64_t tag = 0;
    if (!ReadVarint(&tag)) return Fail(fmt::format("truncated field tag at byte {}", start));
    field->number = 0;
    if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff) {
      return Fail(fmt::format("invalid field number {} at byte {}", tag >> 3, start));
    }
    field->number = static_cast<std::uint32_t>(tag >> 3);
    field->wire_type = static_cast<std::uint32_t>(tag & 7);
    switch (field->wire_type) {
      case kVarint:
        if (!ReadVarint(&field->varint)) return Truncated(*field, start);
        return {};
      case kFixed64:
        return Skip(*field, start, 8);
      case kFixed32:
        return Skip(*field, start, 4);
      case kLengthDelimited: {
        std::uint64_t length = 0;
        if (!ReadVarint(&length)) return Truncated(*field, start);
        if (length > bytes_.size() - pos_) {
          return Fail(fmt::format("truncated: field {} at byte {} is {} bytes long, {} remain",
                                  field->number, start, length, bytes_.size() - pos_));
        }
        field->bytes = bytes_.substr(pos_, static_cast<std::size_t>(length));
        pos_ += static_cast<std::size_t>(length);
        return {};
      }
      default:
        // Groups (3, 4) are deprecated and never in these messages; 6 and 7 do not exist.
        return Fail(fmt::format("field {} at byte {} has unsupported wire type {} ({})",
                                field->number, start, field->wire_type,
                                WireTypeName(field->wire_type)));
    }
  }

  /// An error unless `field` has `wire_type`: a known field with another type is malformed.
  Status Expect(const Field& field, std::uint32_t wire_type, const char* name) const {
    if (field.wire_type == wire_type) return {};
    return Fail(fmt::format("field {} ({}) has wire type {} ({}), expected {} ({})", field.number,
                            name, field.wire_type, WireTypeName(field.wire_type), wire_type,
                            WireTypeName(wire_type)));
  }

 private:
  bool ReadVarint(std::uint64_t* out) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == bytes_.size()) return false;
      const auto byte = static_cast<std::uint8_t>(bytes_[pos_++]);
      v |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;  // more than 10 bytes: not a varint
  }

  Error Truncated(const Field& field, std::size_t start) const {
    return Fail(fmt::format("truncated value of field {} at byte {}", field.number, start));
  }

  Status Skip(const Field& field, std::size_t start, std::size_t n) {
    if (bytes_.size() - pos_ < n) {
      return Fail(fmt::format("truncated: field {} at byte {} needs {} bytes, {} remain",
                              field.number, start, n, bytes_.size() - pos_));
    }
    pos_ += n;
    return {};
  }

  std::string_view bytes_;
  std::string where_;
  std::size_t pos_ = 0;
};

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// `s` for a message: at most 80 bytes, control bytes escaped.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out + "'";
}

/// Merges the fields present in `bytes` into `blob` (a repeated message field merges).
Status DecodeDigest(std::string_view bytes, const std::string& where, BlobRef* blob) {
  WireReader in(bytes, where);
  while (!in.done()) {
    Field f;
    FANOUT_TRY(in.Next(&f));
    if (f.number == kDigestHash) {
      FANOUT_TRY(in.Expect(f, kLengthDelimited, "hash"));
      blob->sha256 = std::string(f.bytes);
    } else if (f.number == kDigestSizeBytes) {
      FANOUT_TRY(in.Expect(f, kVarint, "size_bytes"));
      if (static_cast<std::int64_t>(f.varint) < 0) {
        return in.Fail(
            fmt::format("size_bytes is negative ({})", static_cast<std::int64_t>(f.varint)));
      }
      blob->size = f.varint;
    }
  }
  return {};
}

Status CheckDigest(const BlobRef& blob, const std::string& where) {
  if (IsHex64(blob.sha256)) return {};
  return MakeError(
      fmt::format("malformed action result: {}: hash {} is not 64 lowercase hex digits", where,
                  Quote(blob.sha256)));
}

Status CheckPath(const std::string& path, const std::string& where) {
  auto fail = [&](const std::string& what) {
    return MakeError(
        fmt::format("malformed action result: {}: path {} {}", where, Quote(path), what));
  };
  if (path.empty())
    return MakeError(fmt::format("malformed action result: {}: path is empty", where));
  if (path.find('\0') != std::string::npos) return fail("contains a NUL byte");
  if (path.front() == '/') return fail("is absolute");
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const std::string_view part = std::string_view(path).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty()) return fail("has an empty component");
    if (part == "..") return fail("has a '..' component");
    if (part == ".") return fail("has a '.' component");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return {};
}

Expected<OutputFile> DecodeOutputFile(std::string_view bytes, const std::string& where) {
  WireReader in(bytes, where);
  OutputFile file;
  bool has_digest = false;
  while (!in.done()) {
    Field f;
    FANOUT_TRY(in.Next(&f));
    if (f.number == kFilePath) {
      FANOUT_TRY(in.Expect(f, kLengthDelimited, "path"));
      file.path = std::string(f.bytes);
    } else if (f.number == kFileDigest) {
      FANOUT_TRY(in.Expect(f, kLengthDelimited, "digest"));
      FANOUT_TRY(DecodeDigest(f.bytes, where + ".digest", &file.blob));
      has_digest = true;
    } else if (f.number == kFileIsExecutable) {
      FANOUT_TRY(in.Expect(f, kVarint, "is_executable"));
      file.executable = f.varint != 0;
    }
  }
  FANOUT_TRY(CheckPath(file.path, where));
  if (!has_digest) {
    return MakeError(fmt::format("malformed action result: {}: output file {} has no digest", where,
                                 Quote(file.path)));
  }
  FANOUT_TRY(CheckDigest(file.blob, where + ".digest"));
  return file;
}

}  // namespace

std::string EncodeActionResult(const ActionResult& result) {
  std::string out;
  for (const OutputFile& file : result.files) {
    PutBytes(kResultOutputFiles, EncodeOutputFile(file), &out);
  }
  if (result.exit_code != 0) {
    PutTag(kResultExitCode, kVarint, &out);
    // int32: a negative value is sign-extended to 64 bits (ten bytes), as protobuf does.
    PutVarint(static_cast<std::uint64_t>(static_cast<std::int64_t>(result.exit_code)), &out);
  }
  if (result.stdout_blob) PutBytes(kResultStdoutDigest, EncodeDigest(*result.stdout_blob), &out);
  return out;
}

Expected<ActionResult> DecodeActionResult(std::string_view bytes) {
  WireReader in(bytes, "");
  ActionResult result;
  while (!in.done()) {
    Field f;
    FANOUT_TRY(in.Next(&f));
    if (f.number == kResultOutputFiles) {
      FANOUT_TRY(in.Expect(f, kLengthDelimited, "output_files"));
      auto file = DecodeOutputFile(f.bytes, fmt::format("output_files[{}]", result.files.size()));
      if (!file.ok()) return file.error();
      result.files.push_back(std::move(*file));
    } else if (f.number == kResultExitCode) {
      FANOUT_TRY(in.Expect(f, kVarint, "exit_code"));
      result.exit_code = static_cast<std::int32_t>(static_cast<std::uint32_t>(f.varint));
    } else if (f.number == kResultStdoutDigest) {
      FANOUT_TRY(in.Expect(f, kLengthDelimited, "stdout_digest"));
      if (!result.stdout_blob) result.stdout_blob.emplace();
      FANOUT_TRY(DecodeDigest(f.bytes, "stdout_digest", &*result.stdout_blob));
    }
  }
  if (result.stdout_blob) FANOUT_TRY(CheckDigest(*result.stdout_blob, "stdout_digest"));
  return result;
}

}  // namespace fanout::cache
