// The description loader (description/loader.h) on arbitrary text: it must never crash, throw
// or hang, and every diagnostic it returns must render.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "description/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fanout::LoadResult result = fanout::LoadDescriptionText(text, "fanout.yaml");
  if (!result.description) {
    // A rejected description says why: at least one diagnostic, and it renders.
    if (result.diagnostics.empty()) __builtin_trap();
    (void)result.FormatErrors();
  }
  return 0;
}
