#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupGather(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout gather: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
