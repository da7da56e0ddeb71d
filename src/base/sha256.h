// SHA-256: the digest of action keys, artifacts and definitions (docs/cache.md), in hex.
// Nettle computes it; it needs no configuration or provider to start, so a short-lived
// `fanout exec` pays nothing for it before its first digest (docs/edge-cost.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace fanout {

/// Hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

/// Hex SHA-256 of a file's contents, streamed.
Expected<std::string> Sha256File(const std::string& path);

/// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  /// Feeds a length-prefixed field, so ("ab","c") and ("a","bc") differ.
  void UpdateField(std::string_view data);
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fanout
