// Diagnostics in the compiler style: `fanout.yaml:12:7: error: unknown pool 'dokcer'`, then the
// source line, a caret under the column, and note:/help: lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "description/description.h"

namespace fanout {

/// Whether a diagnostic stops the command (an error) or only informs (a warning).
enum class Severity { kError, kWarning };

/// One error or warning about a file, with optional notes ("did you mean 'docker'?").
struct Diagnostic {
  std::string file;  ///< as the user named it
  SourceMark mark;
  std::string message;             ///< lower case, no trailing period
  std::vector<std::string> notes;  ///< each printed as "help: ..." / "note: ..." (prefix included)
  Severity severity = Severity::kError;
};

/// Renders `diag` against the file's `source` text: the location line, then the source line
/// and a caret, then the notes. Ends with a newline.
std::string FormatDiagnostic(const Diagnostic& diag, std::string_view source);

/// The closest of `candidates` to `name` by edit distance, if close enough to suggest;
/// empty otherwise.
std::string SuggestName(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace fanout
