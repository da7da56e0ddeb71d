#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "cli/cli.h"
#include "report/text.h"
#include "report/timeline.h"
#include "report/timeline_files.h"

namespace fanout {

CommandFn SetupTrace(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  auto output = std::make_shared<std::string>();
  AddBuildDirOption(app, opts.get());
  AddRepoOption(app, &opts->repo, kBuildDirRepoHelp);
  app->add_option("-o,--output", *output,
                  "write the Chrome trace events here (default: BUILD/trace.json)");
  return [opts, output] {
    if (int rc = CheckRepoOption("trace", opts->repo, opts->build_dir); rc != kExitSuccess) {
      return rc;
    }
    auto timeline = LoadTimeline(opts->build_dir);
    if (!timeline.ok()) {
      fmt::print(stderr, "fanout trace: error: {}\n", timeline.error().message);
      return timeline.error().exit_code;
    }
    Status written = WriteTimelineFiles(opts->build_dir, *timeline, *output);
    if (!written.ok()) {
      fmt::print(stderr, "fanout trace: error: {}\n", written.error().message);
      return kExitTargetFailed;
    }
    const std::string trace = output->empty() ? opts->build_dir + "/" + layout::kTrace : *output;
    fmt::print("wrote {} and {}/{}: {} target{} ran on {} slot{} in {}\n", trace, opts->build_dir,
               layout::kTimeline, timeline->bars.size(), timeline->bars.size() == 1 ? "" : "s",
               timeline->slots, timeline->slots == 1 ? "" : "s", FormatSeconds(timeline->span));
    if (!timeline->critical_path.empty()) {
      std::string chain;
      for (const std::string& n : timeline->critical_path) {
        chain += (chain.empty() ? "" : " -> ") + n;
      }
      fmt::print("critical path: {}\n", chain);
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
