#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupReport(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout report: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
