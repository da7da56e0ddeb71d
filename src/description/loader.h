// Reads fanout.yaml (libyaml events -> node tree with marks -> Description) and validates it
// completely, collecting every error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "description/description.h"
#include "description/diagnostic.h"

namespace fanout {

/// At most this many diagnostics are kept (the first ones in document order).
inline constexpr std::size_t kMaxReportedErrors = 50;

/// The outcome of loading: a Description when there were no errors, and every diagnostic.
struct LoadResult {
  std::optional<Description> description;
  std::vector<Diagnostic> diagnostics;
  std::string source;  ///< the text that was parsed, for rendering diagnostics
  /// How many further errors were found beyond the kMaxReportedErrors kept in `diagnostics`.
  std::size_t omitted = 0;

  /// Every diagnostic rendered with FormatDiagnostic, then "N errors generated." style summary.
  std::string FormatErrors() const;
};

/// Parses and validates description text; `display_name` is used in diagnostics.
LoadResult LoadDescriptionText(std::string_view text, const std::string& display_name);

/// Reads `path` and loads it. A missing or unreadable file is one diagnostic at line 0.
LoadResult LoadDescriptionFile(const std::string& path);

/// LoadDescriptionFile, with the errors rendered into one Error (exit code 2).
Expected<Description> LoadDescription(const std::string& path);

}  // namespace fanout
