#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupGen(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout gen: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
