// The readers of result.json and failure.json (records/target_record.h), which `fanout gather`
// and the next build's `fanout exec` read back. Checks: no crash, no exception; a record read
// writes back to text that reads as the same record.
#include <cstddef>
#include <cstdint>
#include <string>

#include "records/target_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace records = fanout::records;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fanout::Expected<records::SuccessRecord> success = records::ParseSuccess(text, "result.json");
  if (success.ok()) {
    fanout::Expected<records::SuccessRecord> again =
        records::ParseSuccess(records::SuccessText(*success), "result.json");
    if (!again.ok() || !(*again == *success)) __builtin_trap();
  }
  fanout::Expected<records::FailureRecord> failure = records::ParseFailure(text, "failure.json");
  if (failure.ok()) {
    fanout::Expected<records::FailureRecord> again =
        records::ParseFailure(records::FailureText(*failure), "failure.json");
    if (!again.ok() || !(*again == *failure)) __builtin_trap();
  }
  return 0;
}
