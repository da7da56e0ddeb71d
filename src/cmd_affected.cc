#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupAffected(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout affected: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
