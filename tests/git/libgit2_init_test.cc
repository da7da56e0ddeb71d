// ConfigureLibgit2 (src/git/libgit2_init.cc) leaves libgit2's protections on: strict hash
// verification refuses an object whose content does not match its id, and owner validation
// refuses a repository owned by another user unless git's safe.directory lists it, with an
// error that says how to trust it (Repository::Open in src/git/git.cc).
#include <git2.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "git/git.h"
#include "test_util.h"

namespace fanout {
namespace {

using testing::GitRepo;
using testing::RunResult;
using testing::Sh;
using testing::TempDir;
using testing::WriteFile;

TEST(Libgit2Init, OwnerValidationIsOn) {
  EnsureLibgit2();
  int enabled = 0;
  ASSERT_EQ(git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &enabled), 0);
  EXPECT_EQ(enabled, 1);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// Whether looking `hex` up in the repository at `path` succeeds, as fanout's reads do.
bool BlobReadable(const std::string& path, const std::string& hex) {
  git_repository* raw = nullptr;
  if (git_repository_open(&raw, path.c_str()) != 0) return false;
  RepositoryPtr repo(raw);
  git_oid oid;
  EXPECT_EQ(git_oid_fromstr(&oid, hex.c_str()), 0);
  git_blob* blob = nullptr;
  const int rc = git_blob_lookup(&blob, repo.get(), &oid);
  git_blob_free(blob);
  return rc == 0;
}

TEST(Libgit2Init, StrictHashVerificationRefusesAnObjectThatIsNotItsId) {
  EnsureLibgit2();
  GitRepo repo;
  // The loose object file of "expected" replaced by the (valid, compressed) object of
  // "substituted".
  const std::string expected =
      Trim(Sh("printf expected | git hash-object -w --stdin", repo.path()).out);
  const std::string substituted =
      Trim(Sh("printf substituted | git hash-object -w --stdin", repo.path()).out);
  ASSERT_EQ(expected.size(), 40u);
  ASSERT_EQ(substituted.size(), 40u);
  auto object_path = [&](const std::string& hex) {
    return repo.path() + "/.git/objects/" + hex.substr(0, 2) + "/" + hex.substr(2);
  };
  ASSERT_EQ(Sh("chmod u+w '" + object_path(expected) + "' && cp '" + object_path(substituted) +
               "' '" + object_path(expected) + "'")
                .exit_code,
            0);

  EXPECT_FALSE(BlobReadable(repo.path(), expected)) << "the substituted object was read";
  ASSERT_NE(git_error_last(), nullptr);
  EXPECT_NE(std::string(git_error_last()->message).find("hash"), std::string::npos)
      << git_error_last()->message;
  // Positive control: with verification off the same lookup succeeds, so the refusal above
  // came from the hash check; ConfigureLibgit2 turns it back on.
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  EXPECT_TRUE(BlobReadable(repo.path(), expected));
  ConfigureLibgit2();
  EXPECT_FALSE(BlobReadable(repo.path(), expected));
}

constexpr const char* kDescription = R"(version: 1
targets:
  app:
    command: "true"
    inputs: [app/**]
)";

TEST(Libgit2Init, RepositoryOwnedByAnotherUserIsRefusedUntilSafeDirectoryListsIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the repository to another uid";
  GitRepo repo;
  repo.Write("fanout.yaml", kDescription);
  repo.Write("app/main.c", "int main() {}\n");
  repo.Commit("init");
  repo.Write("app/main.c", "int main() { return 0; }\n");
  repo.Commit("change");
  TempDir home;
  const std::vector<std::string> argv = {testing::FanoutBinary(), "affected", "--base", "HEAD~1"};
  const std::vector<std::string> env = {"HOME=" + home.path(), "XDG_CONFIG_HOME=" + home.path(),
                                        "GIT_CONFIG_NOSYSTEM=1"};

  // Positive control: owned by the current user (root), the command works.
  RunResult own = testing::Run(argv, repo.path(), env);
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_NE(own.out.find("app"), std::string::npos) << own.out;

  ASSERT_EQ(Sh("chown -R 65534:65534 '" + repo.path() + "'").exit_code, 0);
  RunResult refused = testing::Run(argv, repo.path(), env);
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("'" + repo.path() + "'"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("git config --global --add safe.directory " + repo.path()),
            std::string::npos)
      << refused.err;

  // A configuration that lists another directory is the same refusal (libgit2's GIT_EOWNER;
  // without any safe.directory, libgit2 1.5.1 reports a missing config value instead).
  WriteFile(home / ".gitconfig", "[safe]\n\tdirectory = /nonexistent\n");
  RunResult other = testing::Run(argv, repo.path(), env);
  EXPECT_EQ(other.exit_code, 3) << other.out << other.err;
  EXPECT_EQ(other.err, refused.err);

  // What the message says to do, done in $HOME/.gitconfig, makes the same command work.
  WriteFile(home / ".gitconfig", "[safe]\n\tdirectory = " + repo.path() + "\n");
  RunResult trusted = testing::Run(argv, repo.path(), env);
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_EQ(trusted.out, own.out);
  Sh("chown -R 0:0 '" + repo.path() + "'");
}

}  // namespace
}  // namespace fanout
