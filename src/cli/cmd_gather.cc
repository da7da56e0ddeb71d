#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli/cli.h"
#include "report/gather.h"

namespace fanout {

namespace {

struct GatherOptions {
  CommonOptions common;
  bool post_submit = false;
};

}  // namespace

CommandFn SetupGather(CLI::App* app) {
  auto opts = std::make_shared<GatherOptions>();
  AddBuildDirOption(app, &opts->common);
  AddRepoOption(app, &opts->common.repo, kBuildDirRepoHelp);
  app->add_flag("--post-submit", opts->post_submit,
                "run post_submit.command on the gathered manifest (the post_submit edge)");
  app->group("");  // internal: run by the final edges
  return [opts] {
    const CommonOptions& c = opts->common;
    if (int rc = CheckRepoOption("gather", c.repo, c.build_dir); rc != kExitSuccess) return rc;
    if (opts->post_submit) {
      auto rc = RunPostSubmit(opts->common.build_dir);
      if (!rc.ok()) {
        fmt::print(stderr, "fanout gather: error: {}\n", rc.error().message);
        return rc.error().exit_code;
      }
      return *rc;
    }
    Status st = RunGather(opts->common.build_dir);
    if (!st.ok()) {
      fmt::print(stderr, "fanout gather: error: {}\n", st.error().message);
      return st.error().exit_code;
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
