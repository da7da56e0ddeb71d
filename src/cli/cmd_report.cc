#include <unistd.h>

#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli/cli.h"
#include "report/files.h"
#include "report/report.h"
#include "report/table.h"
#include "report/timeline_files.h"

namespace fanout {

CommandFn SetupReport(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  AddBuildDirOption(app, opts.get());
  AddRepoOption(app, &opts->repo, kBuildDirRepoHelp);
  return [opts] {
    if (int rc = CheckRepoOption("report", opts->repo, opts->build_dir); rc != kExitSuccess) {
      return rc;
    }
    auto report = LoadReport(opts->build_dir);
    if (!report.ok()) {
      fmt::print(stderr, "fanout report: error: {}\n", report.error().message);
      return report.error().exit_code;
    }
    Status written = WriteReportFiles(opts->build_dir, *report);
    if (!written.ok()) {
      fmt::print(stderr, "fanout report: error: {}\n", written.error().message);
      return kExitTargetFailed;
    }
    if (Status st = WriteTimelineFiles(opts->build_dir); !st.ok()) {
      fmt::print(stderr, "fanout report: warning: {}\n", st.error().message);
    }
    TableOptions table;
    table.color = ShouldColor(STDOUT_FILENO);
    table.build_dir = opts->build_dir;
    fmt::print("{}", FormatReportTable(*report, table));
    // Reporting on a failed (or interrupted) build fails the CI step that asked, but this
    // command itself was not interrupted: 1, not 130.
    return report->ExitCode() == kExitSuccess ? kExitSuccess : kExitTargetFailed;
  };
}

}  // namespace fanout
