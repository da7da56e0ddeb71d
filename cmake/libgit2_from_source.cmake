# FANOUT_LIBGIT2_FROM_SOURCE (CMakeLists.txt): libgit2 built from Debian's source package as a
# static library in the build directory, without HTTPS, SSH, GSSAPI and NTLM, so none of them
# enters fanout's link or start-up; regular expressions from the system's PCRE2, zlib and the
# HTTP parser from the system as Debian's own build uses them. Defines the interface library
# fanout_libgit2_from_source and FANOUT_LIBGIT2_DEBIAN_VERSION.
set(libgit2_source ${CMAKE_BINARY_DIR}/libgit2-source)
execute_process(COMMAND ${CMAKE_SOURCE_DIR}/scripts/libgit2-source ${libgit2_source}
  RESULT_VARIABLE libgit2_source_result)
if(NOT libgit2_source_result EQUAL 0)
  message(FATAL_ERROR "scripts/libgit2-source failed: see its message above")
endif()
file(STRINGS ${libgit2_source}/debian-version FANOUT_LIBGIT2_DEBIAN_VERSION LIMIT_COUNT 1)

find_package(ZLIB REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
find_library(FANOUT_HTTP_PARSER_LIBRARY http_parser)
if(NOT FANOUT_HTTP_PARSER_LIBRARY)
  message(FATAL_ERROR "libhttp_parser not found: run scripts/setup (libhttp-parser-dev)")
endif()

include(ExternalProject)
set(libgit2_prefix ${CMAKE_BINARY_DIR}/libgit2)
set(libgit2_archive ${libgit2_prefix}/install/lib/libgit2.a)
set(libgit2_launcher)
if(CMAKE_CXX_COMPILER_LAUNCHER)
  set(libgit2_launcher -DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
endif()
ExternalProject_Add(libgit2_from_source
  SOURCE_DIR ${libgit2_source}/libgit2
  BINARY_DIR ${libgit2_prefix}/build
  INSTALL_DIR ${libgit2_prefix}/install
  CMAKE_ARGS -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=<INSTALL_DIR>
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON ${libgit2_launcher}
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTS=OFF -DBUILD_CLI=OFF -DBUILD_EXAMPLES=OFF
    -DENABLE_REPRODUCIBLE_BUILDS=ON -DUSE_HTTPS=OFF -DUSE_SSH=OFF -DUSE_GSSAPI=OFF
    -DUSE_NTLMCLIENT=OFF -DUSE_SHA1=CollisionDetection -DUSE_SHA256=Builtin
    -DREGEX_BACKEND=pcre2 -DUSE_HTTP_PARSER=system -DUSE_BUNDLED_ZLIB=OFF
  BUILD_BYPRODUCTS ${libgit2_archive})

add_library(fanout_libgit2_from_source INTERFACE)
target_include_directories(fanout_libgit2_from_source SYSTEM INTERFACE
  ${libgit2_source}/libgit2/include)
target_link_libraries(fanout_libgit2_from_source INTERFACE ${libgit2_archive} PkgConfig::PCRE2
  ZLIB::ZLIB ${FANOUT_HTTP_PARSER_LIBRARY} Threads::Threads rt)
add_dependencies(fanout_libgit2_from_source libgit2_from_source)
