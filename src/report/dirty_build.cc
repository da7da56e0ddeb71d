#include "report/dirty_build.h"

#include <cstdint>
#include <string_view>

#include <fmt/format.h>

namespace fanout {

namespace {

bool IsTrue(const char* value) { return value && std::string_view(value) == "true"; }

/// A path as one printable token: control characters (a newline in a file name) escaped.
std::string Printable(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

/// A workflow command's message: GitHub reads %, CR and LF as escapes.
std::string EscapeWorkflowData(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

bool RunsInCi(const std::function<const char*(const char*)>& getenv) {
  return IsTrue(getenv("CI")) || IsTrue(getenv("GITHUB_ACTIONS"));
}

std::optional<std::string> DirtyBuildWarning(const SourceState& state,
                                             const std::function<const char*(const char*)>& getenv,
                                             std::size_t dropped_tags) {
  if (!state.dirty || !RunsInCi(getenv)) return std::nullopt;
  const std::uint64_t count = state.ChangedPathCount();
  std::string paths;
  for (std::size_t i = 0; i < state.changed_paths.size() && i < kDirtyWarningPaths; ++i) {
    paths += (i ? ", " : "") + Printable(state.changed_paths[i]);
  }
  if (count > kDirtyWarningPaths) paths += fmt::format(" and {} more", count - kDirtyWarningPaths);
  const std::string against =
      state.commit ? "commit " + state.commit->substr(0, 12) : std::string("no commit (no HEAD)");
  std::string text = fmt::format(
      "this build is of uncommitted changes: {} path{} the targets read differ{} from {}{}; "
      "manifest.json says \"dirty\": true",
      count, count == 1 ? "" : "s", count == 1 ? "s" : "", against,
      paths.empty() ? "" : " (" + paths + ")");
  if (dropped_tags > 0) {
    text += fmt::format(" and {} image tag{} naming the commit {} left out", dropped_tags,
                        dropped_tags == 1 ? "" : "s", dropped_tags == 1 ? "was" : "were");
  }
  text += "; commit the changes (or find the step that makes them) and build a clean checkout";
  if (IsTrue(getenv("GITHUB_ACTIONS"))) {
    return "::warning::fanout: " + EscapeWorkflowData(text);
  }
  return "fanout: warning: " + text;
}

}  // namespace fanout
