// The reader of BUILD/.fanout/plan.json (plan/plan.h), read by every `fanout exec`, whole or
// for one target. Checks: no crash, no exception; a plan read writes back to text that reads
// back to the same text (the writer is deterministic, so text equality is plan equality).
#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fanout::Expected<fanout::Plan> plan = fanout::PlanFromJson(text, "plan.json");
  if (!plan.ok()) return 0;
  const std::string written = fanout::PlanToJson(*plan);
  fanout::Expected<fanout::Plan> again = fanout::PlanFromJson(written, "plan.json");
  if (!again.ok() || fanout::PlanToJson(*again) != written) __builtin_trap();
  if (!plan->targets.empty()) {
    const std::string name = plan->targets.front().def.name;
    fanout::Expected<fanout::Plan> one = fanout::PlanFromJson(text, "plan.json", &name);
    if (!one.ok() || one->targets.size() != 1 || one->targets[0].def.name != name) __builtin_trap();
  }
  return 0;
}
