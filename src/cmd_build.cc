#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupBuild(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout build: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
