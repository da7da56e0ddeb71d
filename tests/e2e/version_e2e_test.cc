// `fanout --version` names fanout's version and the libgit2 it runs with: the version and
// features libgit2 reports and the file its code was loaded from (src/git/libgit2_version.cc).
#include <git2.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "git/libgit2_version.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

TEST(VersionE2E, NamesFanoutAndTheLibgit2InUse) {
  RunResult r = fanout::testing::Run({FanoutBinary(), "--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("fanout " FANOUT_VERSION "\n", 0), 0u) << r.out;
  int major = 0, minor = 0, revision = 0;
  git_libgit2_version(&major, &minor, &revision);
  const std::string libgit2 = "libgit2 " + std::to_string(major) + "." + std::to_string(minor) +
                              "." + std::to_string(revision) + " (";
  EXPECT_NE(r.out.find(libgit2), std::string::npos) << r.out;
  // The test links the same libgit2 as the binary: the same description, up to the path.
  const std::string mine = Libgit2Description();
  EXPECT_NE(r.out.find(mine.substr(0, mine.find(" /"))), std::string::npos)
      << r.out << "\nexpected: " << mine;
  const size_t slash = r.out.find(" /");
  ASSERT_NE(slash, std::string::npos) << r.out;
  std::string path = r.out.substr(slash + 1);
  while (!path.empty() && path.back() == '\n') path.pop_back();
  EXPECT_EQ(access(path.c_str(), R_OK), 0) << "loaded from " << path;
#ifdef FANOUT_LIBGIT2_DEBIAN_SOURCE_VERSION
  EXPECT_NE(r.out.find("Debian's source package libgit2 " FANOUT_LIBGIT2_DEBIAN_SOURCE_VERSION),
            std::string::npos)
      << r.out;
#else
  EXPECT_NE(path.find("libgit2.so"), std::string::npos) << path;
#endif
}

}  // namespace
}  // namespace fanout::testing
