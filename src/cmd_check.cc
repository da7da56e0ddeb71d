#include <fmt/format.h>

#include "src/cli.h"
#include "src/exit_codes.h"

namespace fanout {

CommandFn SetupCheck(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout check: not implemented yet\n");
    return kExitUsage;
  };
}

CommandFn SetupList(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout list: not implemented yet\n");
    return kExitUsage;
  };
}

CommandFn SetupGraph(CLI::App*) {
  return [] {
    fmt::print(stderr, "fanout graph: not implemented yet\n");
    return kExitUsage;
  };
}

}  // namespace fanout
