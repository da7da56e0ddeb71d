#include "cache/settings.h"

#include <fmt/format.h>

#include "cache/local_store.h"

namespace fanout::cache {

const char* CacheModeName(CacheMode mode) {
  switch (mode) {
    case CacheMode::kOn:
      return "on";
    case CacheMode::kRead:
      return "read";
    case CacheMode::kOff:
      return "off";
  }
  return "on";
}

std::optional<bool> ParseCacheBool(const std::string& text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return std::nullopt;
}

std::optional<CacheMode> ParseCacheMode(const std::string& text) {
  if (text == "on") return CacheMode::kOn;
  if (text == "read") return CacheMode::kRead;
  if (text == "off") return CacheMode::kOff;
  if (auto b = ParseCacheBool(text)) return *b ? CacheMode::kOn : CacheMode::kOff;
  return std::nullopt;
}

CacheSettings ReadCacheSettings(const std::map<std::string, std::string>& env,
                                std::vector<std::string>* warnings) {
  CacheSettings s;
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto warn = [&](const char* name, const std::string& value, const char* accepted) {
    if (warnings) {
      warnings->push_back(
          fmt::format("fanout: warning: {}='{}' is not understood (accepted: {}); "
                      "using the default",
                      name, value, accepted));
    }
  };
  if (const std::string* v = get(kCacheVariable)) {
    if (auto mode = ParseCacheMode(*v)) {
      s.mode = *mode;
    } else {
      warn(kCacheVariable, *v, "on, read, off");
    }
  }
  if (auto dir = DefaultCacheDir(); dir.ok()) s.dir = *dir;
  if (const std::string* v = get(kCacheUrlVariable)) s.url = *v;
  if (const std::string* v = get(kCacheUploadVariable)) {
    if (auto b = ParseCacheBool(*v)) {
      s.upload = *b;
    } else {
      warn(kCacheUploadVariable, *v, "true, false");
    }
  }
  if (const std::string* v = get(kCacheNetrcVariable)) s.netrc_file = *v;
  if (const std::string* v = get(kCacheHeaderVariable)) s.header_variable = *v;
  if (const std::string* v = get(kCacheUnenforcedVariable)) {
    if (auto b = ParseCacheBool(*v)) {
      s.store_unenforced = *b;
    } else {
      warn(kCacheUnenforcedVariable, *v, "true, false");
    }
  }
  return s;
}

}  // namespace fanout::cache
