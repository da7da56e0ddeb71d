#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupMatrix(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout matrix: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
