#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupDoctor(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout doctor: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
