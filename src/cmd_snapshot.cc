#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupSnapshot(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout snapshot: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
