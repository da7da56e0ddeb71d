#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"
#include "src/gather.h"

namespace fanout {

CommandFn SetupGather(CLI::App* app) {
  auto opts = std::make_shared<CommonOptions>();
  AddBuildDirOption(app, opts.get());
  app->group("");  // internal: run by the final edge
  return [opts] {
    Status st = RunGather(opts->build_dir);
    if (!st.ok()) {
      fmt::print(stderr, "fanout gather: error: {}\n", st.error().message);
      return st.error().exit_code;
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
