#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli/cli.h"
#include "snapshot/run_snapshot.h"

namespace fanout {

CommandFn SetupSnapshot(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  auto depfile_prefix = std::make_shared<std::string>();
  AddBuildDirOption(app, opts.get());
  AddRepoOption(app, &opts->repo, kBuildDirRepoHelp);
  app->add_option("--depfile-prefix", *depfile_prefix,
                  "the build directory as the including build names it (a fragment's edge)");
  app->group("");  // internal: run by the snapshot edge
  return [opts, depfile_prefix] {
    if (int rc = CheckRepoOption("snapshot", opts->repo, opts->build_dir); rc != kExitSuccess) {
      return rc;
    }
    // A directory: the generator passes it with its '/', a hand-typed one may lack it.
    if (!depfile_prefix->empty() && depfile_prefix->back() != '/') *depfile_prefix += '/';
    Status st = RunSnapshot(opts->build_dir, *depfile_prefix);
    if (!st.ok()) {
      fmt::print(stderr, "fanout snapshot: error: {}\n", st.error().message);
      return st.error().exit_code;
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
