// Taking a target from an earlier tier (sandbox/exec.h, docs/sharding.md "Tiers"): `fanout
// build --from DIR... TARGET...` names, in BUILD/.fanout/import.json, the targets its edges must
// not run but restore from the directories earlier tiers' jobs left (action cache directories,
// cache/local_store.h). The result is found by the action key this build computes, so it is the
// one built from the same inputs, definition and dependency outputs, and every file is checked
// against its SHA-256 and size as it is restored. When no directory holds it, the target fails
// with what differs; it is never rebuilt in a later tier by accident.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "records/import_record.h"
#include "sandbox/action_key.h"
#include "sandbox/exec.h"

namespace fanout::sandbox {

namespace {

/// "a, b, c".
std::string Join(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

}  // namespace

Expected<bool> Exec::ImportFromEarlierTier(const records::SourceRecord& source,
                                           const std::string& no_key) {
  auto variable = host_env_.find(records::kImportVariable);
  if (variable == host_env_.end() || variable->second.empty()) return false;
  auto record = records::ReadImportRecord(variable->second);
  if (!record.ok()) return record.error();
  if (!std::binary_search(record->targets.begin(), record->targets.end(), target_)) return false;

  const std::string remedy = fmt::format(
      "build every tier from the same commit with the same options, or name '{}' among this "
      "job's targets to build it here",
      target_);
  if (!action_) {
    return MakeError(fmt::format(
        "'{}' is to be taken from an earlier tier (fanout build --from), but its action key "
        "cannot be computed: {}",
        target_, no_key));
  }
  std::vector<std::string> differences;
  for (const std::string& dir : record->from) {
    cache::CacheSettings settings;
    settings.mode = cache::CacheMode::kRead;
    settings.dir = dir;
    ActionCache store(settings, [this](const std::string& line, bool, const std::string&) {
      AppendLog(log_.get(), line);
    });
    if (!store.enabled()) continue;
    if (auto restored = store.Restore(action_->key, target_, out_dir_, log_.get())) {
      restored->cached.store = "import";
      FANOUT_TRY(RecordRestored(std::move(*restored), source, "taken from the earlier tier's"));
      return true;
    }
    if (auto latest = store.LatestEntry(target_)) {
      std::vector<std::string> changed = ChangedActionParts(latest->action, *action_);
      differences.push_back(fmt::format("{} has it built from another action ({}differs: {})", dir,
                                        latest->action.key.substr(0, 12) + "...; ",
                                        changed.empty() ? "unknown" : Join(changed)));
    }
  }
  return MakeError(fmt::format(
      "'{}' is to be taken from an earlier tier (fanout build --from {}), but none of those "
      "directories holds its action {}{}; {}",
      target_, Join(record->from), action_->key,
      differences.empty() ? " nor any result of it (did the earlier tier build it?)"
                          : " (" + Join(differences) + ")",
      remedy));
}

}  // namespace fanout::sandbox
