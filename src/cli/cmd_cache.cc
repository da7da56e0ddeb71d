// `fanout cache stats|prune|verify`: look after the local action cache (docs/cli.md).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "base/exit_codes.h"
#include "base/json_writer.h"
#include "cache/local_store.h"
#include "cache/store_maintenance.h"
#include "cli/cli.h"
#include "report/text.h"

namespace fanout {

namespace {

struct CacheOptions {
  std::string action;
  std::string dir;
  std::string max_size;
  std::string older_than;
  bool json = false;
  CLI::Option* max_size_option = nullptr;
  CLI::Option* older_than_option = nullptr;
};

int Fail(const std::string& message, int exit_code = kExitUsage) {
  fmt::print(stderr, "fanout cache: error: {}\n", message);
  return exit_code;
}

/// The whole number at the start of `text`, and where it ends; nullopt on no digits or overflow.
std::optional<std::uint64_t> LeadingNumber(const std::string& text, std::size_t* end) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (__builtin_mul_overflow(n, 10u, &n) ||
        __builtin_add_overflow(n, static_cast<std::uint64_t>(text[i] - '0'), &n)) {
      return std::nullopt;
    }
  }
  if (i == 0) return std::nullopt;
  *end = i;
  return n;
}

/// "1073741824", "512K", "10G", "1T" (powers of 1024; the letter in either case).
std::optional<std::uint64_t> ParseSize(const std::string& text) {
  std::size_t end = 0;
  std::optional<std::uint64_t> n = LeadingNumber(text, &end);
  if (!n) return std::nullopt;
  if (end == text.size()) return n;
  if (end + 1 != text.size()) return std::nullopt;
  int shift = 0;
  switch (std::toupper(static_cast<unsigned char>(text[end]))) {
    case 'K':
      shift = 10;
      break;
    case 'M':
      shift = 20;
      break;
    case 'G':
      shift = 30;
      break;
    case 'T':
      shift = 40;
      break;
    default:
      return std::nullopt;
  }
  if (*n > (UINT64_MAX >> shift)) return std::nullopt;
  return *n << shift;
}

/// "90s", "30m", "12h", "30d": seconds.
std::optional<double> ParseAge(const std::string& text) {
  std::size_t end = 0;
  std::optional<std::uint64_t> n = LeadingNumber(text, &end);
  if (!n || end + 1 != text.size()) return std::nullopt;
  double unit = 0;
  switch (text[end]) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  return static_cast<double>(*n) * unit;
}

/// "45s", "12m", "5h", "30d": how long ago `when` (unix seconds) was.
std::string Ago(double when) {
  const double s = std::max(0.0, static_cast<double>(std::time(nullptr)) - when);
  if (s < 60) return fmt::format("{}s ago", static_cast<std::int64_t>(s));
  if (s < 3600) return fmt::format("{}m ago", static_cast<std::int64_t>(s / 60));
  if (s < 86400) return fmt::format("{}h ago", static_cast<std::int64_t>(s / 3600));
  return fmt::format("{}d ago", static_cast<std::int64_t>(s / 86400));
}

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string Summary(const cache::CacheStats& stats) {
  return fmt::format("{} and {}, {}", Plural(stats.actions, "entry", "entries"),
                     Plural(stats.blobs, "blob", "blobs"), FormatSize(stats.bytes));
}

int RunStats(const CacheOptions& opts) {
  auto stats = cache::Stats(opts.dir);
  if (!stats.ok()) return Fail(stats.error().message, stats.error().exit_code);
  if (opts.json) {
    std::string out;
    JsonWriter json(&out, 2);
    json.BeginObject();
    json.Key("actions");
    json.UInt(stats->actions);
    json.Key("blobs");
    json.UInt(stats->blobs);
    json.Key("bytes");
    json.UInt(stats->bytes);
    json.Key("dir");
    json.String(opts.dir);
    // Whole unix seconds; null when there is no entry.
    for (auto [key, value] :
         {std::pair{"newest_use", stats->newest_use}, std::pair{"oldest_use", stats->oldest_use}}) {
      json.Key(key);
      if (stats->actions) {
        json.Int(static_cast<std::int64_t>(value));
      } else {
        json.Null();
      }
    }
    json.EndObject();
    fmt::print("{}\n", out);
    return kExitSuccess;
  }
  fmt::print("cache      {}\n", opts.dir);
  fmt::print("entries    {}\n", stats->actions);
  fmt::print("blobs      {}\n", stats->blobs);
  fmt::print("size       {}\n", FormatSize(stats->bytes));
  if (stats->actions) {
    fmt::print("last used  {} (least recently used entry: {})\n", Ago(stats->newest_use),
               Ago(stats->oldest_use));
  }
  return kExitSuccess;
}

int RunPrune(const CacheOptions& opts) {
  cache::PruneOptions prune;
  if (opts.max_size_option->count() > 0) {
    prune.max_bytes = ParseSize(opts.max_size);
    if (!prune.max_bytes) {
      return Fail(
          fmt::format("--max-size '{}' is not a size: give bytes (1073741824) or a whole "
                      "number with K, M, G or T (powers of 1024), e.g. 10G",
                      opts.max_size));
    }
  }
  if (opts.older_than_option->count() > 0) {
    prune.older_than_seconds = ParseAge(opts.older_than);
    if (!prune.older_than_seconds) {
      return Fail(
          fmt::format("--older-than '{}' is not an age: give a whole number with s, m, h "
                      "or d (seconds, minutes, hours, days), e.g. 30d",
                      opts.older_than));
    }
  }
  if (!prune.max_bytes && !prune.older_than_seconds) {
    return Fail("prune needs --max-size SIZE, --older-than AGE, or both");
  }
  auto result = cache::Prune(opts.dir, prune);
  if (!result.ok()) return Fail(result.error().message, result.error().exit_code);
  fmt::print("removed {} and {} ({}); {} remain\n",
             Plural(result->actions_removed, "entry", "entries"),
             Plural(result->blobs_removed, "blob", "blobs"), FormatSize(result->bytes_freed),
             Summary(result->after));
  return kExitSuccess;
}

int RunVerify(const CacheOptions& opts) {
  auto result = cache::Verify(opts.dir);
  if (!result.ok()) return Fail(result.error().message, result.error().exit_code);
  for (const std::string& problem : result->problems) fmt::print("{}\n", problem);
  fmt::print("checked {} and {}: {}\n", Plural(result->blobs_checked, "blob", "blobs"),
             Plural(result->actions_checked, "entry", "entries"),
             result->problems.empty()
                 ? std::string("no problems")
                 : Plural(result->problems.size(), "problem", "problems") + ", removed");
  return kExitSuccess;
}

int RunCache(CacheOptions opts) {
  if (opts.max_size_option->count() > 0 && opts.action != "prune") {
    return Fail("--max-size is an option of 'fanout cache prune'");
  }
  if (opts.older_than_option->count() > 0 && opts.action != "prune") {
    return Fail("--older-than is an option of 'fanout cache prune'");
  }
  if (opts.json && opts.action != "stats")
    return Fail("--json is an option of 'fanout cache stats'");
  if (opts.dir.empty()) {
    auto dir = cache::DefaultCacheDir();
    if (!dir.ok()) return Fail(dir.error().message, dir.error().exit_code);
    opts.dir = *dir;
  }
  if (opts.action == "stats") return RunStats(opts);
  if (opts.action == "prune") return RunPrune(opts);
  return RunVerify(opts);
}

}  // namespace

CommandFn SetupCache(CLI::App* app) {
  auto opts = std::make_shared<CacheOptions>();
  app->footer(
      "stats: how many entries and blobs the cache holds, and their size.\n"
      "prune: removes the least recently used entries until the cache fits --max-size, and the "
      "entries unused for longer than --older-than, then every blob no entry names (unless it is "
      "younger than an hour).\n"
      "verify: rehashes every blob and decodes every entry; removes corrupt blobs, undecodable "
      "entries and entries naming a missing blob, one line each.");
  app->add_option("action", opts->action, "stats, prune or verify")
      ->required()
      ->check(CLI::IsMember({"stats", "prune", "verify"}));
  app->add_option("--cache-dir", opts->dir,
                  "the local cache (default: $FANOUT_CACHE_DIR, else $XDG_CACHE_HOME/fanout, else "
                  "~/.cache/fanout)")
      ->option_text("DIR");
  opts->max_size_option =
      app->add_option("--max-size", opts->max_size,
                      "prune: remove least recently used entries until the cache is at most SIZE "
                      "(bytes, or with K, M, G or T: 10G)")
          ->option_text("SIZE");
  opts->older_than_option =
      app->add_option("--older-than", opts->older_than,
                      "prune: remove entries unused for longer than AGE (with s, m, h or d: 30d)")
          ->option_text("AGE");
  app->add_flag("--json", opts->json, "stats: print JSON for scripts");
  return [opts] { return RunCache(*opts); };
}

}  // namespace fanout
