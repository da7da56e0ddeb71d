#include "cli/cache_options.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cache/http_backend.h"
#include "cache/settings.h"

namespace fanout {

void AddCacheOptions(CLI::App* app, CacheOptions* opts) {
  app->add_option("--cache", opts->mode,
                  "use the action cache: on (restore and store; the default), read (restore "
                  "only), off")
      ->option_text("MODE");
  app->add_option("--cache-dir", opts->dir,
                  "the local action cache (default: $FANOUT_CACHE_DIR, else ~/.cache/fanout)")
      ->option_text("DIR");
  app->add_option("--cache-url", opts->url,
                  "a remote action cache speaking the Bazel HTTP cache protocol")
      ->option_text("URL");
  app->add_option("--cache-upload", opts->upload,
                  "store results in the remote cache too (false: read-only, for pull requests)")
      ->option_text("BOOL");
  app->add_option("--cache-netrc", opts->netrc, "credentials for the remote cache, netrc format")
      ->option_text("FILE");
  app->add_option("--cache-header-env", opts->header_env,
                  "a variable whose value is one 'Name: value' header for the remote cache")
      ->option_text("VAR");
}

int ApplyCacheOptions(const char* command, const CacheOptions& opts) {
  auto usage = [&](const std::string& message) {
    fmt::print(stderr, "fanout {}: error: {}\n", command, message);
    return kExitUsage;
  };
  if (!opts.mode.empty() && !cache::ParseCacheMode(opts.mode)) {
    return usage(fmt::format("--cache '{}': expected on, read or off", opts.mode));
  }
  if (!opts.upload.empty() && !cache::ParseCacheBool(opts.upload)) {
    return usage(fmt::format("--cache-upload '{}': expected true or false", opts.upload));
  }
  if (!opts.url.empty()) {
    cache::HttpOptions http;
    http.url = opts.url;
    auto backend = cache::HttpBackend::Create(http);
    if (!backend.ok()) return usage("--cache-url: " + backend.error().message);
  }
  if (!opts.header_env.empty() && !getenv(opts.header_env.c_str())) {
    return usage(
        fmt::format("--cache-header-env {}: the variable is not set; export it with "
                    "the header line, e.g. '{}=Authorization: Bearer TOKEN'",
                    opts.header_env, opts.header_env));
  }
  const std::pair<const char*, const std::string*> exported[] = {
      {cache::kCacheVariable, &opts.mode},       {cache::kCacheDirVariable, &opts.dir},
      {cache::kCacheUrlVariable, &opts.url},     {cache::kCacheUploadVariable, &opts.upload},
      {cache::kCacheNetrcVariable, &opts.netrc}, {cache::kCacheHeaderVariable, &opts.header_env},
  };
  for (const auto& [name, value] : exported) {
    if (!value->empty()) setenv(name, value->c_str(), 1);
  }
  // Ninja runs each edge in the build directory: a relative path, given here or in the
  // environment, means what it means where the user typed it.
  for (const char* name : {cache::kCacheDirVariable, cache::kCacheNetrcVariable}) {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0' || *value == '/') continue;
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(value, ec);
    if (!ec) setenv(name, absolute.lexically_normal().c_str(), 1);
  }
  return kExitSuccess;
}

}  // namespace fanout
