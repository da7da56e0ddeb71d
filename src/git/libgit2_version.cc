#include "git/libgit2_version.h"

#include <dlfcn.h>
#include <git2.h>

#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace fanout {

namespace {

/// The file the dynamic loader mapped git_libgit2_version's code from: the shared library, or
/// the executable itself when libgit2 is linked statically.
std::string LoadedFrom() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&git_libgit2_version), &info) == 0 || !info.dli_fname ||
      !*info.dli_fname) {
    return "an unknown object";
  }
  return info.dli_fname;
}

std::string Features() {
  const int features = git_libgit2_features();
  std::vector<std::string_view> names;
  if (features & GIT_FEATURE_THREADS) names.push_back("threads");
  if (features & GIT_FEATURE_HTTPS) names.push_back("https");
  if (features & GIT_FEATURE_SSH) names.push_back("ssh");
  if (features & GIT_FEATURE_NSEC) names.push_back("nsec");
  return names.empty() ? "no optional features" : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::string Libgit2Description() {
  int major = 0, minor = 0, revision = 0;
  git_libgit2_version(&major, &minor, &revision);
  std::string line = fmt::format("libgit2 {}.{}.{} ({})", major, minor, revision, Features());
#ifdef FANOUT_LIBGIT2_DEBIAN_SOURCE_VERSION
  // dladdr names the executable as it was started; /proc/self/exe is its absolute path.
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  line += fmt::format(
      ", built by this project from Debian's source package libgit2 {} without HTTPS, SSH and "
      "GSSAPI, linked statically into {}",
      FANOUT_LIBGIT2_DEBIAN_SOURCE_VERSION, ec ? LoadedFrom() : exe.string());
#else
  line += fmt::format(", shared library {}", LoadedFrom());
#endif
  return line;
}

}  // namespace fanout
