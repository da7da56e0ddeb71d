// libgit2's process-wide start: EnsureLibgit2 and ConfigureLibgit2, the one place where fanout
// sets libgit2's global options (git_libgit2_opts). Both protections libgit2 offers for reading
// repositories stay on: strict hash verification and owner validation (safe.directory).

#include <git2.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "git/git.h"

namespace fanout {

namespace {

/// Whether any `dir/file` of the search path `dirs` (':'-separated) exists but cannot be
/// examined: libgit2 then fails every repository open with "failed to stat", where git skips
/// the file. `sudo -u USER` keeps HOME=/root, which USER cannot search.
bool HasUnreadable(std::string_view dirs, std::string_view file) {
  while (!dirs.empty()) {
    const size_t sep = dirs.find(GIT_PATH_LIST_SEPARATOR);
    const std::string path = std::string(dirs.substr(0, sep)) + "/" + std::string(file);
    struct stat st;
    if (stat(path.c_str(), &st) != 0 && errno != ENOENT && errno != ENOTDIR) return true;
    if (sep == std::string_view::npos) break;
    dirs.remove_prefix(sep + 1);
  }
  return false;
}

/// Stops libgit2 from reading a configuration level whose file it could not stat, as git
/// does; a readable file of that level (safe.directory among its settings) is still read.
void SkipUnreadableConfigLevels() {
  struct Level {
    int level;
    const char* file;
  };
  for (const Level& l :
       {Level{GIT_CONFIG_LEVEL_SYSTEM, "gitconfig"}, Level{GIT_CONFIG_LEVEL_XDG, "config"},
        Level{GIT_CONFIG_LEVEL_GLOBAL, ".gitconfig"}}) {
    struct Buffer {
      git_buf buf = GIT_BUF_INIT;
      ~Buffer() { git_buf_dispose(&buf); }
    } dirs;
    if (git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH, l.level, &dirs.buf) != 0 || !dirs.buf.ptr) {
      continue;
    }
    if (HasUnreadable(std::string_view(dirs.buf.ptr, dirs.buf.size), l.file)) {
      git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, l.level, "");
    }
  }
}

}  // namespace

void ConfigureLibgit2() {
  // Every object read is re-hashed and compared with its id, so a damaged or substituted
  // object in the repository (or a workspace built from it) is an error, not an input.
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
  // A repository owned by another user is refused unless git's safe.directory lists it, as git
  // itself does: its config and hooks are that user's. Repository::Open (git/git.cc) turns the
  // refusal into an error that names the path and the `git config` command that trusts it.
  git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
  git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, size_t{0});
  // A partial clone made by an older git records extensions.partialClone (a newer git only
  // sets remote.<name>.promisor), and libgit2 refuses to open a repository with an extension
  // it does not know. fanout reads what is present locally: an object that was never fetched
  // is a missing-object error (exit 3) where it is needed, as in any other partial clone.
  const char* partial_clone[] = {"partialclone"};
  git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, partial_clone, size_t{1});
  SkipUnreadableConfigLevels();
}

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    ConfigureLibgit2();
  });
}

}  // namespace fanout
