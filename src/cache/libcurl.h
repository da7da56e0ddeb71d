// libcurl, loaded the first time the HTTP cache needs it instead of when fanout starts.
// Linked at start-up, libcurl brings in 27 more shared objects on Debian 12 (GnuTLS and
// p11-kit, Kerberos, LDAP, RTMP, SSH, ...), whose loading, relocation and constructors cost
// every fanout process about 15 ms, every edge included, while only the remote cache uses it
// (docs/startup.md). The functions are libcurl's public, versioned ABI (libcurl.so.4, the
// Debian package libcurl4), each typed by libcurl's own header.
#pragma once

#include <curl/curl.h>

#include "base/expected.h"

namespace fanout::cache {

/// The soname loaded, and the Debian package that ships it.
inline constexpr const char* kLibcurlSoname = "libcurl.so.4";
inline constexpr const char* kLibcurlPackage = "libcurl4";

/// The libcurl functions fanout calls.
struct Libcurl {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_url) url;
  decltype(&curl_url_set) url_set;
  decltype(&curl_url_cleanup) url_cleanup;
  decltype(&curl_url_strerror) url_strerror;
};

/// Loads libcurl once per process (thread-safe; never unloaded) and returns its functions, or
/// an error naming the library, the loader's reason and the package to install.
Expected<const Libcurl*> LoadLibcurl();

}  // namespace fanout::cache
