#include "report/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/unique_fd.h"
#include "report/junit.h"
#include "report/markdown.h"

namespace fanout {

Status AppendToFile(const std::string& path, const std::string& text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd) return MakeError(fmt::format("cannot append to '{}': {}", path, std::strerror(errno)));
  if (const int err = WriteAllToFd(fd.get(), text)) {
    return MakeError(fmt::format("cannot append to '{}': {}", path, std::strerror(err)));
  }
  return {};
}

Status WriteReportFiles(const std::string& build_dir, const Report& report, bool step_summary) {
  const std::string markdown = ReportToMarkdown(report);
  // The link works beside the file (the build directory, a CI artifact), not in the step
  // summary, whose relative links resolve against the CI's own page.
  FANOUT_TRY(
      WriteFileAtomically(build_dir + "/" + layout::kSummary, markdown + MarkdownTimelineLink()));
  FANOUT_TRY(WriteFileAtomically(build_dir + "/" + layout::kJunit, ReportToJunit(report)));
  const char* step = std::getenv("GITHUB_STEP_SUMMARY");
  if (step_summary && step && *step) {
    FANOUT_TRY(AppendToFile(step, markdown + "\n"));
  }
  return {};
}

}  // namespace fanout
