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
  // Each field is the function `curl_<field>`: the name is written once, by the macro.
#define FANOUT_LIBCURL_FUNCTION(field) Resolve(library, "curl_" #field, &c.field, &missing)
  const bool all =
      FANOUT_LIBCURL_FUNCTION(global_init) && FANOUT_LIBCURL_FUNCTION(easy_init) &&
      FANOUT_LIBCURL_FUNCTION(easy_cleanup) && FANOUT_LIBCURL_FUNCTION(easy_reset) &&
      FANOUT_LIBCURL_FUNCTION(easy_setopt) && FANOUT_LIBCURL_FUNCTION(easy_getinfo) &&
      FANOUT_LIBCURL_FUNCTION(easy_perform) && FANOUT_LIBCURL_FUNCTION(easy_strerror) &&
      FANOUT_LIBCURL_FUNCTION(slist_append) && FANOUT_LIBCURL_FUNCTION(slist_free_all) &&
      FANOUT_LIBCURL_FUNCTION(url) && FANOUT_LIBCURL_FUNCTION(url_set) &&
      FANOUT_LIBCURL_FUNCTION(url_cleanup) && FANOUT_LIBCURL_FUNCTION(url_strerror);
#undef FANOUT_LIBCURL_FUNCTION
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
