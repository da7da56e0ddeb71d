#include "cache/libcurl.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include <fmt/format.h>

namespace fanout::cache {

namespace {

/// Sets `*fn` to the function `name` of `library`; false (and `*missing`) when it is absent.
template <class Fn>
bool Resolve(void* library, const char* name, Fn* fn, std::string* missing) {
  void* symbol = dlsym(library, name);
  if (!symbol) {
    *missing = name;
    return false;
  }
  *fn = reinterpret_cast<Fn>(symbol);
  return true;
}

Expected<Libcurl> Load() {
  void* library = dlopen(kLibcurlSoname, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = dlerror();
    return MakeError(fmt::format("cannot load {} for the remote cache: {}; install the package {}",
                                 kLibcurlSoname, why ? why : "unknown error", kLibcurlPackage));
  }
  Libcurl c{};
  std::string missing;
  const bool all = Resolve(library, "curl_global_init", &c.global_init, &missing) &&
                   Resolve(library, "curl_easy_init", &c.easy_init, &missing) &&
                   Resolve(library, "curl_easy_cleanup", &c.easy_cleanup, &missing) &&
                   Resolve(library, "curl_easy_reset", &c.easy_reset, &missing) &&
                   Resolve(library, "curl_easy_setopt", &c.easy_setopt, &missing) &&
                   Resolve(library, "curl_easy_getinfo", &c.easy_getinfo, &missing) &&
                   Resolve(library, "curl_easy_perform", &c.easy_perform, &missing) &&
                   Resolve(library, "curl_easy_strerror", &c.easy_strerror, &missing) &&
                   Resolve(library, "curl_slist_append", &c.slist_append, &missing) &&
                   Resolve(library, "curl_slist_free_all", &c.slist_free_all, &missing) &&
                   Resolve(library, "curl_url", &c.url, &missing) &&
                   Resolve(library, "curl_url_set", &c.url_set, &missing) &&
                   Resolve(library, "curl_url_cleanup", &c.url_cleanup, &missing) &&
                   Resolve(library, "curl_url_strerror", &c.url_strerror, &missing);
  if (!all) {
    // Kept loaded all the same: unloading a library whose constructors ran is not worth it.
    return MakeError(
        fmt::format("{} has no function {}: it is older than the remote cache needs "
                    "(libcurl 7.62 or later); upgrade the package {}",
                    kLibcurlSoname, missing, kLibcurlPackage));
  }
  return c;
}

}  // namespace

Expected<const Libcurl*> LoadLibcurl() {
  static std::once_flag once;
  static Expected<Libcurl> loaded = MakeError("not loaded");
  std::call_once(once, [] { loaded = Load(); });
  if (!loaded.ok()) return loaded.error();
  return &*loaded;
}

}  // namespace fanout::cache
