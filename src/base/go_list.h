// What `go list -e -deps -json` says about each package (base/go_imports.h): the fields
// fanout reads from its stream of JSON objects.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace fanout {

struct GoPackage {
  std::string import_path;
  std::string dir;  ///< absolute; empty when go found no directory for it
  bool standard = false;
  std::string module_path;           ///< the module it belongs to, empty for none
  std::vector<std::string> imports;  ///< import paths, as resolved (vendored ones included)
  /// Its files of every kind, by name within `dir`, except .go files and tests: C, C++,
  /// assembly, headers, syso, SWIG and files ignored by build constraints that are not Go.
  std::vector<std::string> other_files;
  std::vector<std::string> embed_patterns;  ///< as written in `//go:embed`
  std::string error;  ///< go's message when it could not load the package, else empty
};

/// The packages of `text`, in go's order (dependencies first). An error when the text is not
/// a stream of JSON objects with the fields' expected types.
Expected<std::vector<GoPackage>> ParseGoList(std::string_view text);

}  // namespace fanout
