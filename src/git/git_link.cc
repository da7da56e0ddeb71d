// How fanout links and starts libgit2: EnsureLibgit2 and the link-level adjustments that keep
// libgit2's network support (HTTPS through mbedTLS, SSH through libssh2, Negotiate
// authentication through GSSAPI) from costing every fanout start; fanout only reads local
// repositories. They live in the object that defines EnsureLibgit2, so every binary that
// uses libgit2 links them.

#include <dlfcn.h>
#include <gssapi/gssapi.h>

#include <atomic>
#include <mutex>

#include "git/git.h"

namespace {

/// True only while EnsureLibgit2 runs git_libgit2_init; see mbedtls_x509_crt_parse_file and
/// libssh2_init.
std::atomic<bool> g_in_libgit2_init{false};

}  // namespace

/// libgit2 as Debian builds it (HTTPS through mbedTLS) parses the system's whole CA bundle
/// (/etc/ssl/certs/ca-certificates.crt, about 140 certificates in 220 KB of PEM) inside
/// git_libgit2_init: 4-6 ms of every fanout start, for HTTPS remotes fanout never talks to (it
/// only reads local repositories). The link wraps mbedTLS's function (CMakeLists.txt:
/// `--wrap=mbedtls_x509_crt_parse_file`, so libgit2's call lands here) and skips that one parse
/// during initialization; every other call goes to mbedTLS. The skip fails closed: libgit2's
/// CA chain stays empty, so an HTTPS connection would fail certificate verification, never
/// trust an unverified peer. Code that adds a network operation must first call
/// git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ...), which parses through here as usual.
extern "C" int __real_mbedtls_x509_crt_parse_file(void* chain, const char* path);
extern "C" int __wrap_mbedtls_x509_crt_parse_file(void* chain, const char* path) {
  if (g_in_libgit2_init.load(std::memory_order_relaxed)) return 0;
  return __real_mbedtls_x509_crt_parse_file(chain, path);
}

/// libssh2 likewise: libgit2's init calls libssh2_init for SSH remotes, which initializes
/// OpenSSL's libcrypto (about 1M instructions and 40 page faults, a tenth of a millisecond of
/// every start). libssh2 initializes itself when its first session is created
/// (libssh2_session_init_ex calls _libssh2_init_if_needed), so skipping the call during
/// git_libgit2_init only moves that cost to an SSH connection, which fanout never makes.
extern "C" int __real_libssh2_init(int flags);
extern "C" int __wrap_libssh2_init(int flags) {
  if (g_in_libgit2_init.load(std::memory_order_relaxed)) return 0;
  return __real_libssh2_init(flags);
}

// GSSAPI, loaded on first use.
//
// Debian's libgit2.a calls eight GSSAPI functions, all from its HTTP Negotiate authentication.
// Linking libgssapi_krb5.so brings seven shared libraries (krb5, k5crypto, com_err,
// krb5support, keyutils, resolv) that the dynamic loader maps and relocates at every start:
// 0.7 ms, a third of `fanout --version`, paid again by every edge's `fanout exec`. So fanout
// does not link it; the functions below have libgit2's signatures and forward to the real
// library, which they open with dlopen the first time one is called. Without the library
// every call fails with GSS_S_UNAVAILABLE, which libgit2 reports as an authentication error.
namespace {

constexpr const char* kGssapiLibrary = "libgssapi_krb5.so.2";

void* GssapiHandle() {
  static void* handle = dlopen(kGssapiLibrary, RTLD_NOW | RTLD_LOCAL);
  return handle;
}

/// The real `name` from the library, or nullptr; `F` is the declaration from gssapi.h.
template <typename F>
F* RealGss(const char* name) {
  void* handle = GssapiHandle();
  return handle ? reinterpret_cast<F*>(dlsym(handle, name)) : nullptr;
}

OM_uint32 Unavailable(OM_uint32* minor) {
  if (minor) *minor = 0;
  return GSS_S_UNAVAILABLE;
}

// RFC 2743 4.1's GSS_C_NT_HOSTBASED_SERVICE, {iso(1) member-body(2) US(840) mit(113554)
// infosys(1) gssapi(2) generic(1) service_name(4)}. Mechanisms compare name types by value.
gss_OID_desc g_host_based_service = {10,
                                     const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04")};

}  // namespace

#define FANOUT_FORWARD_GSS(name, params, args)            \
  extern "C" OM_uint32 name params {                      \
    static auto* real = RealGss<decltype(::name)>(#name); \
    return real ? real args : Unavailable(minor);         \
  }

extern "C" {
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &g_host_based_service;
}

FANOUT_FORWARD_GSS(gss_delete_sec_context,
                   (OM_uint32 * minor, gss_ctx_id_t* context, gss_buffer_t output_token),
                   (minor, context, output_token))
FANOUT_FORWARD_GSS(gss_display_status,
                   (OM_uint32 * minor, OM_uint32 status, int status_type, gss_OID mech,
                    OM_uint32* message_context, gss_buffer_t status_string),
                   (minor, status, status_type, mech, message_context, status_string))
FANOUT_FORWARD_GSS(gss_import_name,
                   (OM_uint32 * minor, gss_buffer_t input_name, gss_OID name_type,
                    gss_name_t* output_name),
                   (minor, input_name, name_type, output_name))
FANOUT_FORWARD_GSS(gss_indicate_mechs, (OM_uint32 * minor, gss_OID_set* mechs), (minor, mechs))
FANOUT_FORWARD_GSS(gss_init_sec_context,
                   (OM_uint32 * minor, gss_cred_id_t cred, gss_ctx_id_t* context, gss_name_t target,
                    gss_OID mech, OM_uint32 req_flags, OM_uint32 time_req,
                    gss_channel_bindings_t bindings, gss_buffer_t input_token, gss_OID* actual_mech,
                    gss_buffer_t output_token, OM_uint32* ret_flags, OM_uint32* time_rec),
                   (minor, cred, context, target, mech, req_flags, time_req, bindings, input_token,
                    actual_mech, output_token, ret_flags, time_rec))
FANOUT_FORWARD_GSS(gss_release_buffer, (OM_uint32 * minor, gss_buffer_t buffer), (minor, buffer))
FANOUT_FORWARD_GSS(gss_release_name, (OM_uint32 * minor, gss_name_t* name), (minor, name))
FANOUT_FORWARD_GSS(gss_release_oid_set, (OM_uint32 * minor, gss_OID_set* set), (minor, set))

#undef FANOUT_FORWARD_GSS

namespace fanout {

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_in_libgit2_init = true;
    git_libgit2_init();
    g_in_libgit2_init = false;
    // fanout often runs as another uid than the checkout's owner (root in CI containers,
    // sandboxes); it only reads the repository, so git's safe.directory check is not useful.
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    // libgit2 re-hashes every object it reads to compare it with its id; git does not (objects
    // are checked when they enter the repository, by index-pack and fsck, and a damaged object
    // still fails zlib's checksum when it is inflated). Hashing was 14% of `fanout affected`'s
    // instructions and every blob a workspace materializes, so fanout reads as git does.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, size_t{0});
    // A partial clone made by an older git records extensions.partialClone (a newer git only
    // sets remote.<name>.promisor), and libgit2 refuses to open a repository with an extension
    // it does not know. fanout reads what is present locally: an object that was never fetched
    // is a missing-object error (exit 3) where it is needed, as in any other partial clone.
    const char* partial_clone[] = {"partialclone"};
    git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, partial_clone, size_t{1});
  });
}

}  // namespace fanout
