#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupExec(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout exec: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
