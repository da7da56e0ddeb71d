#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"
#include "src/snapshot.h"

namespace fanout {

CommandFn SetupSnapshot(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  AddBuildDirOption(app, opts.get());
  app->group("");  // internal: run by the snapshot edge
  return [opts] {
    Status st = RunSnapshot(opts->build_dir);
    if (!st.ok()) {
      fmt::print(stderr, "fanout snapshot: error: {}\n", st.error().message);
      return st.error().exit_code;
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
