// The action cache in one `fanout exec` run (sandbox/exec.h): before the sandbox is set up,
// the target's action key is computed and looked up; a hit restores the result instead of
// running the command. After a successful run, the result is stored.
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/build_layout.h"
#include "records/build_events.h"
#include "sandbox/action_key.h"
#include "sandbox/exec.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

/// "a, b, c".
std::string Join(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

}  // namespace

Expected<bool> Exec::RestoreFromCache(const std::optional<records::ActionRecord>& previous,
                                      const records::SourceRecord& source) {
  const PlanTarget* planned = plan_->FindTarget(target_);
  auto action = ComputeAction(build_dir_, *planned, digest_, host_env_);
  if (action.ok()) action_ = std::move(*action);
  // Before the cache's own settings: a target an earlier tier built is taken from it even with
  // the cache off, and is never run here.
  auto imported = ImportFromEarlierTier(source, action.ok() ? "" : action.error().message);
  if (!imported.ok() || *imported) return imported;
  if (!action.ok()) {
    AppendLog(log_.get(), "fanout: warning: no action key, the action cache is not used: " +
                              action.error().message);
    return false;
  }
  std::vector<std::string> warnings;
  const cache::CacheSettings settings = cache::ReadCacheSettings(host_env_, &warnings);
  for (const std::string& w : warnings) Warn(w, "cache-settings-warned", "");
  if (!def_->cache) {
    AppendLog(log_.get(), "fanout: the target says 'cache: false': the action cache is not used");
    return false;
  }
  if (settings.mode == cache::CacheMode::kOff) return false;
  // The test-only build with a protection turned off: its results prove nothing about the
  // protected build (Landlock and cache verification are judged by the cache itself).
  if (WeakenedOtherThan({"landlock", "cache-verify"})) {
    AppendLog(log_.get(),
              "fanout: a protection is turned off (FANOUT_TEST_WEAKEN): the action "
              "cache is not used");
    return false;
  }
  action_cache_ = std::make_unique<ActionCache>(
      settings, [this](const std::string& line, bool console, const std::string& once) {
        if (console && once.empty()) {
          AppendLog(log_.get(), line);
          const std::string text = line + "\n";
          if (write(2, text.data(), text.size()) < 0) {
          }
        } else if (console) {
          Warn(line, once, "");
        } else {
          AppendLog(log_.get(), line);
        }
      });
  if (!action_cache_->enabled()) return false;

  auto restored = action_cache_->Restore(action_->key, target_, out_dir_, log_.get());
  if (!restored) {
    std::string line = fmt::format("fanout: action {} is not in the action cache ({})",
                                   action_->key, action_cache_->Describe());
    std::vector<std::string> changed;
    if (previous) changed = ChangedActionParts(*previous, *action_);
    if (!changed.empty()) {
      line += "; changed since the last result in this build directory: " + Join(changed);
    } else if (auto latest = action_cache_->LatestEntry(target_)) {
      changed = ChangedActionParts(latest->action, *action_);
      if (!changed.empty()) {
        line += "; changed since the local cache's latest entry of this target: " + Join(changed);
      }
    }
    AppendLog(log_.get(), line);
    return false;
  }
  const std::string how = fmt::format("restored from the {} action cache", restored->cached.store);
  FANOUT_TRY(RecordRestored(std::move(*restored), source, how));
  return true;
}

Status Exec::RecordRestored(ActionCache::Restored restored, const records::SourceRecord& source,
                            const std::string& how) {
  const double finished = WallNow();
  records::SuccessRecord r;
  r.target = target_;
  r.status = TargetStatus::kCached;
  r.exit_code = 0;
  r.attempts = restored.entry.attempts;
  r.started_at = started_wall_;
  r.finished_at = finished;
  r.duration_seconds = finished - started_wall_;
  r.source = source;
  r.input_digest = digest_;
  r.sandbox = restored.entry.sandbox;
  r.artifacts = std::move(restored.artifacts);
  r.log = layout::LogPath(target_);
  r.image = restored.entry.image;
  r.action = action_;
  r.cached = restored.cached;
  AppendLog(log_.get(),
            fmt::format("fanout: {} {} (action {}): the log above is that of the run "
                        "that built it, in {:.1f} s",
                        how, r.cached->where, action_->key, r.cached->original_duration_seconds));
  FANOUT_TRY(records::WriteSuccess(build_dir_ + "/" + layout::ResultPath(target_), r));
  records::AppendEvent(build_dir_, {target_, finished, def_->pool, TargetStatus::kCached,
                                    r.duration_seconds, std::nullopt});
  return {};
}

void Exec::StoreInCache(const records::SuccessRecord& r) {
  if (!action_ || !action_cache_ || !def_->cache) return;
  const cache::CacheSettings& settings = action_cache_->settings();
  if (settings.mode != cache::CacheMode::kOn) return;
  // A result may depend on files outside the inputs when nothing kept the command from reading
  // them: such a result is not offered to other builds unless the runner says so.
  const bool enforced = choice_.tier == Tier::kNamespaces || landlock_;
  if (!enforced && !settings.store_unenforced) {
    AppendLog(log_.get(),
              fmt::format("fanout: not stored in the action cache: the {} sandbox tier without "
                          "Landlock could not keep the command to its inputs; set {}=true to "
                          "store such results anyway",
                          TierName(choice_.tier), cache::kCacheUnenforcedVariable));
    return;
  }
  records::CacheEntryRecord entry;
  entry.target = target_;
  entry.action = *action_;
  entry.attempts = r.attempts;
  entry.duration_seconds = r.duration_seconds;
  entry.finished_at = r.finished_at;
  entry.source = r.source;
  entry.sandbox = r.sandbox;
  entry.image = r.image;
  action_cache_->Store(entry, out_dir_, r.artifacts, log_path_);
}

}  // namespace fanout::sandbox
