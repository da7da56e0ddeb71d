// What src/git/git_link.cc skips during git_libgit2_init still works afterwards: a later,
// explicit certificate load reaches mbedTLS (and fails on a bad file); libssh2 initializes
// itself for its first session; GSSAPI calls reach the library opened on first use.
#include <git2.h>
#include <gssapi/gssapi.h>
#include <gtest/gtest.h>
#include <libssh2.h>
#include <unistd.h>

#include "git/git.h"

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

TEST(Libgit2Init, Libssh2InitializesItselfForItsFirstSession) {
  EnsureLibgit2();
  LIBSSH2_SESSION* session = libssh2_session_init();
  ASSERT_NE(session, nullptr);
  libssh2_session_free(session);
}

TEST(Libgit2Init, GssapiCallsReachTheLibraryOpenedOnFirstUse) {
  // A host-based service name in fanout's own GSS_C_NT_HOSTBASED_SERVICE, imported by the
  // real library, proves both the forwarding and the name type's value.
  OM_uint32 minor = 0;
  std::string service = "HTTP@build.example";
  gss_buffer_desc buffer{service.size(), service.data()};
  gss_name_t name = GSS_C_NO_NAME;
  const OM_uint32 major = gss_import_name(&minor, &buffer, GSS_C_NT_HOSTBASED_SERVICE, &name);
  if (major == GSS_S_UNAVAILABLE) GTEST_SKIP() << "libgssapi_krb5.so.2 is not installed";
  ASSERT_EQ(major, GSS_S_COMPLETE);
  EXPECT_EQ(gss_release_name(&minor, &name), GSS_S_COMPLETE);
  gss_OID_set mechs = GSS_C_NO_OID_SET;
  ASSERT_EQ(gss_indicate_mechs(&minor, &mechs), GSS_S_COMPLETE);
  EXPECT_GT(mechs->count, 0u);
  EXPECT_EQ(gss_release_oid_set(&minor, &mechs), GSS_S_COMPLETE);
}

}  // namespace
}  // namespace fanout
