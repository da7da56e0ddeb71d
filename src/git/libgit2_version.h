// Which libgit2 fanout runs with, for `fanout --version` (cli/cli.cc): its version and
// features as the library itself reports them, and where its code was loaded from.
#pragma once

#include <string>

namespace fanout {

/// One line: "libgit2 1.5.1 (threads, https, ssh, nsec) from /usr/lib/.../libgit2.so.1.5" for
/// the system's shared library; for the libgit2 this project builds from Debian's source
/// (CMake option FANOUT_LIBGIT2_FROM_SOURCE) it says so, with the Debian version, and names
/// the binary it is linked into.
std::string Libgit2Description();

}  // namespace fanout
