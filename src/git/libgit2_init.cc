// libgit2's process-wide start: EnsureLibgit2 and ConfigureLibgit2, the one place where fanout
// sets libgit2's global options (git_libgit2_opts). Both protections libgit2 offers for reading
// repositories stay on: strict hash verification and owner validation (safe.directory).

#include <git2.h>

#include <cstddef>
#include <mutex>

#include "git/git.h"

namespace fanout {

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
}

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    ConfigureLibgit2();
  });
}

}  // namespace fanout
