// The CA-bundle skip in src/git.cc applies only inside git_libgit2_init: a later, explicit
// certificate load still reaches mbedTLS and still fails on a bad file.
#include <git2.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "src/git.h"

namespace fanout {
namespace {

TEST(Libgit2Init, CertificateLoadsAfterInitGoToMbedTls) {
  EnsureLibgit2();
  EXPECT_NE(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, "/nonexistent/ca.pem", nullptr), 0)
      << "a missing bundle must fail: the parse was skipped outside init";
  const char* bundle = "/etc/ssl/certs/ca-certificates.crt";
  if (access(bundle, R_OK) != 0) GTEST_SKIP() << "no system CA bundle at " << bundle;
  EXPECT_EQ(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, bundle, nullptr), 0)
      << git_error_last()->message;
}

}  // namespace
}  // namespace fanout
