#include "description/loader.h"

#include <algorithm>
#include <utility>

#include "base/file_util.h"
#include "description/validate.h"
#include "description/yaml_node.h"

namespace fanout {

std::string LoadResult::FormatErrors() const {
  std::string out;
  for (const Diagnostic& diag : diagnostics) out += FormatDiagnostic(diag, source);
  const std::size_t total = diagnostics.size() + omitted;
  if (omitted > 0) {
    out += "too many errors: showing the first " + std::to_string(diagnostics.size()) + " of " +
           std::to_string(total) + "\n";
  }
  if (total > 0) {
    out += std::to_string(total) + (total == 1 ? " error" : " errors") + " generated.\n";
  }
  return out;
}

LoadResult LoadDescriptionText(std::string_view text, const std::string& display_name) {
  LoadResult result;
  result.source = std::string(text);
  YamlParseResult parsed = ParseYaml(text, display_name);
  result.diagnostics = std::move(parsed.errors);
  if (!parsed.fatal) {
    std::optional<Description> desc =
        ValidateDescription(parsed.root, display_name, &result.diagnostics);
    if (result.diagnostics.empty()) result.description = std::move(desc);
  }
  // Report in document order, as a reader meets the problems.
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::pair(a.mark.line, a.mark.column) <
                            std::pair(b.mark.line, b.mark.column);
                   });
  if (result.diagnostics.size() > kMaxReportedErrors) {
    result.omitted = result.diagnostics.size() - kMaxReportedErrors;
    result.diagnostics.resize(kMaxReportedErrors);
  }
  return result;
}

LoadResult LoadDescriptionFile(const std::string& path) {
  Expected<std::string> text = ReadFile(path);
  if (!text.ok()) {
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{path, SourceMark{}, text.error().message, {}});
    return result;
  }
  return LoadDescriptionText(*text, path);
}

Expected<Description> LoadDescription(const std::string& path) {
  LoadResult result = LoadDescriptionFile(path);
  if (!result.description) return MakeError(result.FormatErrors(), kExitUsage);
  return std::move(*result.description);
}

}  // namespace fanout
