// `fanout explain T`: the target's action key as `fanout exec` would compute it now, its parts,
// whether the local action cache holds it, and which parts changed since the target's last
// result in the build directory (docs/cache.md).
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "cache/local_store.h"
#include "cache/settings.h"
#include "cli/cli.h"
#include "records/target_record.h"
#include "sandbox/action_cache.h"
#include "sandbox/action_key.h"
#include "sandbox/environment.h"
#include "snapshot/run_snapshot.h"

namespace fanout {

namespace {

struct ExplainOptions {
  CommonOptions common;
  std::string target;
};

/// The stamp of `target`: its input digest as the last snapshot computed it.
Expected<std::string> ReadStamp(const std::string& build_dir, const std::string& target) {
  auto stamp = ReadFile(build_dir + "/" + layout::StampPath(target));
  if (!stamp.ok()) return MakeError(stamp.error().message + "; run 'fanout gen' again");
  std::string digest = *stamp;
  while (!digest.empty() && (digest.back() == '\n' || digest.back() == ' ')) digest.pop_back();
  return digest;
}

/// Why `name`'s last result here is not what the next build would make of it ("" when it is),
/// following its dependencies first: "" only when it and every dependency are up to date.
std::string WhyStale(const std::string& build_dir, const Plan& plan, const std::string& name,
                     std::map<std::string, std::string>& memo) {
  if (auto it = memo.find(name); it != memo.end()) return it->second;
  std::string why;
  const PlanTarget* t = plan.FindTarget(name);
  for (const std::string& dep : t ? t->def.deps : std::vector<std::string>{}) {
    if (!WhyStale(build_dir, plan, dep, memo).empty()) {
      why = fmt::format("its dependency '{}' reruns first", dep);
      break;
    }
  }
  if (why.empty() && t) {
    auto last = records::ReadSuccess(build_dir + "/" + layout::ResultPath(name));
    auto stamp = ReadStamp(build_dir, name);
    if (!last.ok() || !last->action || !stamp.ok()) {
      why = "it has no result with an action key here";
    } else {
      auto now = sandbox::ComputeAction(build_dir, *t, *stamp, sandbox::HostEnvironment());
      if (!now.ok()) {
        why = now.error().message;
      } else {
        for (const std::string& c : sandbox::ChangedActionParts(*last->action, *now)) {
          why += (why.empty() ? "" : ", ") + c;
        }
      }
    }
  }
  memo[name] = why;
  return why;
}

int RunExplain(const ExplainOptions& opts) {
  auto error = [](const std::string& message, int code) {
    fmt::print(stderr, "fanout explain: error: {}\n", message);
    return code;
  };
  const std::string& build_dir = opts.common.build_dir;
  // The stamps as the next build would see them: the snapshot step, as Ninja would run it.
  if (Status st = RunSnapshot(build_dir); !st.ok()) {
    return error(st.error().message, st.error().exit_code);
  }
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return error(plan.error().message, plan.error().exit_code);
  const PlanTarget* target = plan->FindTarget(opts.target);
  if (!target) {
    return error(fmt::format("unknown target '{}' in {}/{}; run 'fanout list'", opts.target,
                             build_dir, layout::kPlan),
                 kExitUsage);
  }
  auto stamp = ReadFile(build_dir + "/" + layout::StampPath(opts.target));
  if (!stamp.ok()) return error(stamp.error().message + "; run 'fanout gen' again", kExitUsage);
  std::string digest = *stamp;
  while (!digest.empty() && (digest.back() == '\n' || digest.back() == ' ')) digest.pop_back();
  auto action = sandbox::ComputeAction(build_dir, *target, digest, sandbox::HostEnvironment());
  if (!action.ok()) {
    return error(action.error().message + "; build its dependencies first ('fanout build " +
                     opts.target + "')",
                 kExitTargetFailed);
  }
  fmt::print("action of '{}' in {}:\n", opts.target, build_dir);
  fmt::print("  key          {}\n", action->key);
  fmt::print("  inputs       {}  (the files its inputs match, and its definition)\n",
             action->input_digest);
  fmt::print("  definition   {}\n", action->definition_digest);
  fmt::print("  pass_env     {}\n", action->env_digest);
  std::map<std::string, std::string> memo;
  bool deps_stale = false;
  for (const auto& [name, d] : action->deps) {
    const std::string why = WhyStale(build_dir, *plan, name, memo);
    deps_stale |= !why.empty();
    fmt::print("  dependency   {}  '{}' (its artifacts and image, as last built here{})\n", d, name,
               why.empty() ? "" : "; it reruns first (" + why + "), so this part can change");
  }
  fmt::print("  platform     {}\n", action->platform);
  fmt::print("  format       {}\n", action->version);

  std::vector<std::string> warnings;
  const cache::CacheSettings settings =
      cache::ReadCacheSettings(sandbox::HostEnvironment(), &warnings);
  for (const std::string& w : warnings) fmt::print(stderr, "{}\n", w);
  if (!target->def.cache) {
    fmt::print("cache: the target says 'cache: false'\n");
  } else if (settings.mode == cache::CacheMode::kOff) {
    fmt::print("cache: off ({}=off)\n", cache::kCacheVariable);
  } else if (!settings.dir.empty()) {
    auto store = cache::LocalStore::Open(settings.dir);
    if (!store.ok()) {
      fmt::print("local cache: cannot be opened: {}\n", store.error().message);
    } else {
      auto got = store->GetAction(action->key);
      fmt::print("local cache {}: {}\n", settings.dir,
                 !got.ok()            ? "cannot be read: " + got.error().message
                 : *got && deps_stale ? std::string("has the action as its key stands now")
                 : *got               ? std::string("has this action; the next build restores it")
                                      : std::string("does not have this action"));
    }
  }
  if (!settings.url.empty()) {
    fmt::print("remote cache {}: not asked (fanout exec asks it during a build)\n", settings.url);
  }
  if (target->def.cache && settings.mode != cache::CacheMode::kOff) {
    cache::CacheSettings local_only = settings;
    local_only.url.clear();
    sandbox::ActionCache store(local_only, [](const std::string& line, bool, const std::string&) {
      fmt::print(stderr, "{}\n", line);
    });
    if (auto latest = store.LatestEntry(opts.target)) {
      auto changed = sandbox::ChangedActionParts(latest->action, *action);
      std::string list;
      for (const std::string& c : changed) list += (list.empty() ? "" : ", ") + c;
      fmt::print("latest entry of '{}' in the local cache: key {}, from a run of {:.1f} s{}{}\n",
                 opts.target, latest->action.key, latest->duration_seconds,
                 latest->source.commit ? " at commit " + latest->source.commit->substr(0, 12) : "",
                 changed.empty() ? "; it is this action" : "; changed since: " + list);
    }
  }

  auto last = records::ReadSuccess(build_dir + "/" + layout::ResultPath(opts.target));
  if (!last.ok()) {
    fmt::print("last result here: none\n");
  } else if (!last->action) {
    fmt::print("last result here: {} (written before fanout recorded action keys)\n",
               StatusName(last->status));
  } else {
    auto changed = sandbox::ChangedActionParts(*last->action, *action);
    if (changed.empty() && deps_stale) {
      fmt::print(
          "last result here: {}, with this key so far: a dependency reruns first, and "
          "the key changes if its artifacts do\n",
          StatusName(last->status));
    } else if (changed.empty()) {
      fmt::print("last result here: {}, with this key: the target is up to date\n",
                 StatusName(last->status));
    } else {
      std::string list;
      for (const std::string& c : changed) list += (list.empty() ? "" : ", ") + c;
      fmt::print("last result here: {}, key {}; changed since: {}\n", StatusName(last->status),
                 last->action->key, list);
    }
  }
  return kExitSuccess;
}

}  // namespace

CommandFn SetupExplain(CLI::App* app) {
  auto opts = std::make_shared<ExplainOptions>();
  AddBuildDirOption(app, &opts->common);
  AddRepoOption(app, &opts->common.repo, kBuildDirRepoHelp);
  app->add_option("target", opts->target, "the target")->required();
  return [opts] {
    if (int rc = CheckRepoOption("explain", opts->common.repo, opts->common.build_dir);
        rc != kExitSuccess) {
      return rc;
    }
    return RunExplain(*opts);
  };
}

}  // namespace fanout
