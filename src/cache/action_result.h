// The value kept under `ac/<key>`: the subset of the Remote Execution API's
// build.bazel.remote.execution.v2.ActionResult that fanout writes, as protobuf wire bytes, so
// that a Bazel HTTP cache server which validates action results (bazel-remote does by default)
// accepts it, and plain WebDAV stores it as it is. Field numbers: ActionResult output_files=2,
// exit_code=4, stdout_digest=6; OutputFile path=1, digest=2, is_executable=4; Digest hash=1,
// size_bytes=2. Decoding skips fields it does not know (bazel-remote adds
// execution_metadata=9).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "cache/backend.h"

namespace fanout::cache {

/// One output file of an action: a path relative to the action's root, and its blob.
struct OutputFile {
  std::string path;
  BlobRef blob;
  bool executable = false;
  bool operator==(const OutputFile&) const = default;
};

/// An action's result.
struct ActionResult {
  std::vector<OutputFile> files;
  int exit_code = 0;
  std::optional<BlobRef> stdout_blob;  ///< the log
  bool operator==(const ActionResult&) const = default;
};

/// The protobuf wire bytes of `result`.
std::string EncodeActionResult(const ActionResult& result);
/// Parses wire bytes; an error names what is malformed (a truncated field, a digest that is not
/// 64 lowercase hex, a path that is absolute, empty or has a `..` component).
Expected<ActionResult> DecodeActionResult(std::string_view bytes);

}  // namespace fanout::cache
