// Where the action cache keeps results (docs/cache.md): a local directory or an HTTP server
// speaking the Bazel HTTP cache protocol, both with the same two namespaces. `ac/<key>` holds
// an ActionResult (cache/action_result.h) naming the outputs of the action with that key;
// `cas/<sha256>` holds each output's bytes. Every operation on a backend is safe against
// concurrent writers of the same key or blob, and every blob is verified by its SHA-256 and
// size as it is read: a backend never hands out bytes that do not match their name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"

namespace fanout::cache {

/// A blob of the content-addressed store: its SHA-256 (64 lowercase hex) and size.
struct BlobRef {
  std::string sha256;
  std::uint64_t size = 0;
  bool operator==(const BlobRef&) const = default;
};

/// What became of reading a blob.
enum class FetchOutcome {
  kOk,       ///< the blob was written, and it matched its digest and size
  kMissing,  ///< the backend does not have it
  kCorrupt,  ///< the backend had bytes that did not match (a local store removes them)
};

/// A store of action results and blobs. Errors mean the backend itself failed (unreachable,
/// permission denied, a server error after retries); a miss is not an error.
class Backend {
 public:
  virtual ~Backend() = default;
  /// For messages: the directory, or the URL without credentials.
  virtual std::string Describe() const = 0;
  /// The ActionResult bytes stored under `key` (64 lowercase hex); nullopt when absent.
  virtual Expected<std::optional<std::string>> GetAction(const std::string& key) = 0;
  /// Stores `bytes` under `key`, replacing any earlier value; never visible half-written.
  virtual Status PutAction(const std::string& key, const std::string& bytes) = 0;
  /// Whether the blob is present (a local store checks its size; a server answers HEAD).
  virtual Expected<bool> HasBlob(const BlobRef& blob) = 0;
  /// Writes the blob's bytes to `dest_fd` (at its current offset), hashing them as they
  /// come. kCorrupt: what was written does not match `blob`; the caller discards it.
  /// `why` (when given) says what did not match, for kCorrupt.
  virtual Expected<FetchOutcome> FetchBlob(const BlobRef& blob, int dest_fd,
                                           std::string* why = nullptr) = 0;
  /// Stores the file at `path`, whose content is `blob`, unless it is already present.
  virtual Status PutBlob(const BlobRef& blob, const std::string& path) = 0;
};

}  // namespace fanout::cache
