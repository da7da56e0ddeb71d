#include "sandbox/secrets.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sandbox/environment.h"
#include "test_util.h"

namespace fanout::sandbox {
namespace {

using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFile;

std::string Content(int fd) {
  std::string out(64, '\0');
  const ssize_t n = pread(fd, out.data(), out.size(), 0);
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

TEST(SecretFileAllowed, NamesFilesExactlyOrDirectoriesEndingInASlash) {
  EXPECT_TRUE(SecretFileAllowed("/run/ci/key", "/run/ci/key", "/h"));
  EXPECT_FALSE(SecretFileAllowed("/run/ci/key", "/run/ci/key2", "/h"));
  EXPECT_TRUE(SecretFileAllowed("/etc/x:/run/ci/", "/run/ci/key", "/h"));
  EXPECT_FALSE(SecretFileAllowed("/run/ci", "/run/ci/key", "/h"));  // not a directory entry
  EXPECT_FALSE(SecretFileAllowed("/run/ci/", "/run/ci/", "/h"));
  EXPECT_TRUE(SecretFileAllowed("~/.npmrc", "/home/u/.npmrc", "/home/u/"));
  EXPECT_FALSE(SecretFileAllowed("", "/run/ci/key", "/h"));
  EXPECT_FALSE(SecretFileAllowed("relative/", "relative/key", "/h"));
  EXPECT_EQ(ExpandHome("~/.npmrc", "/home/u"), "/home/u/.npmrc");
  EXPECT_EQ(ExpandHome("/abs", "/home/u"), "/abs");
}

TEST(OpenSecrets, ReadsAllowedFilesAndVariablesIntoSealedMemoryFiles) {
  TempDir dir;
  WriteFile(dir / "key", "file-secret");
  std::map<std::string, std::string> host = {
      {"HOME", dir.path()}, {"TOKEN", "env-secret"}, {kSecretFilesAllowVariable, "~/key"}};
  auto open = OpenSecrets(
      {{"k", ImageSecret::Source::kFile, "~/key"}, {"t", ImageSecret::Source::kEnv, "TOKEN"}}, host,
      "app");
  ASSERT_TRUE(open.ok()) << open.error().message;
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].id, "k");
  EXPECT_EQ(Content((*open)[0].fd.get()), "file-secret");
  EXPECT_EQ(Content((*open)[1].fd.get()), "env-secret");
  // Sealed: not even fanout can change it afterwards; and close-on-exec until the sandbox.
  EXPECT_LT(pwrite((*open)[0].fd.get(), "x", 1, 0), 0);
  EXPECT_EQ(errno, EPERM);
  EXPECT_TRUE(fcntl((*open)[0].fd.get(), F_GETFD) & FD_CLOEXEC);
  // The file on disk is not what the command gets: changing it later changes nothing.
  WriteFile(dir / "key", "changed");
  EXPECT_EQ(Content((*open)[0].fd.get()), "file-secret");
}

TEST(OpenSecrets, AFileNeedsTheRunnersAllowListAndAVariableFollowsPassEnvs) {
  TempDir dir;
  WriteFile(dir / "key", "file-secret");
  const ImageSecret file{"k", ImageSecret::Source::kFile, dir / "key"};
  // Positive control: allowed, it is read.
  EXPECT_TRUE(OpenSecrets({file}, {{kSecretFilesAllowVariable, dir.path() + "/"}}, "app").ok());
  // Unset allows no file at all.
  auto refused = OpenSecrets({file}, {}, "app");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("secret 'k' of 'app' reads the file '" + (dir / "key") +
                                         "', which FANOUT_SECRET_FILES_ALLOW does not allow"),
            std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(OpenSecrets({file}, {{kSecretFilesAllowVariable, "/etc/"}}, "app").ok());

  const ImageSecret env{"t", ImageSecret::Source::kEnv, "TOKEN"};
  EXPECT_TRUE(OpenSecrets({env}, {{"TOKEN", "v"}}, "app").ok());  // unset allows, as pass_env
  auto env_refused = OpenSecrets({env}, {{"TOKEN", "v"}, {kPassEnvAllowVariable, "OTHER"}}, "app");
  ASSERT_FALSE(env_refused.ok());
  EXPECT_NE(env_refused.error().message.find("which FANOUT_PASS_ENV_ALLOW does not allow"),
            std::string::npos)
      << env_refused.error().message;
  auto missing = OpenSecrets({env}, {}, "app");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("reads the variable 'TOKEN', which is not set"),
            std::string::npos);
}

TEST(OpenSecrets, RefusesWhatIsNotARegularFileOrTooLarge) {
  TempDir dir;
  WriteFile(dir / "big", std::string(kMaxSecretBytes + 1, 'x'));
  std::map<std::string, std::string> host = {
      {kSecretFilesAllowVariable, dir.path() + "/:" + dir.path()}};
  auto big = OpenSecrets({{"b", ImageSecret::Source::kFile, dir / "big"}}, host, "app");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("more than the 524288 a secret may"), std::string::npos)
      << big.error().message;
  auto directory = OpenSecrets({{"d", ImageSecret::Source::kFile, dir.path()}}, host, "app");
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("it is not a regular file"), std::string::npos)
      << directory.error().message;
  auto absent = OpenSecrets({{"a", ImageSecret::Source::kFile, dir / "absent"}}, host, "app");
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace fanout::sandbox
