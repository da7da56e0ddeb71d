// The in-repository modules a Python program imports, for `inputs_from: {python: ...}`
// (docs/format.md, "inputs_from"): read from the tree being built or compared, module by
// module, with Python's own parser (base/python_ast.h), and resolved the way Python's import
// system finds modules on its path:
// - the entry is a script (`app/main.py`, whose directory is the first entry of sys.path) or
//   a package directory as `python -m` runs it (`__init__.py`, then `__main__.py`; its parent
//   directory is on the path);
// - `import a.b` runs `a/__init__.py` then `a/b.py` or `a/b/__init__.py`, from the first
//   directory on the path that has it (a directory without `__init__.py` is a namespace
//   package); `from a import b` may also name the module `a/b`; a star import of a package
//   imports the submodules its literal `__all__` names; relative imports (`from ..x import y`)
//   count from the importing module's package;
// - a module found on no path directory is not in the repository (the standard library,
//   an installed package) and is left out: what is installed comes through the project files
//   (`pyproject.toml`, `setup.py`, `setup.cfg`, `requirements*.txt`) in the entry's directory
//   and every directory above it, which are inputs too.
// Imports anywhere in a module count (in functions, under `try`, `if TYPE_CHECKING`): more
// inputs, never fewer. Where the imports cannot be known without running the program (a
// module that does not parse, `importlib.import_module(name)` with a computed name), every
// file under the path directories is an input, with a note saying which line made it so.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/glob.h"
#include "base/python_ast.h"

namespace fanout {

/// How an input list says "what the Python program ENTRY imports, with ROOTs on its path
/// after the default": `:(python)ENTRY//ROOT//ROOT`, written by the validator for
/// `inputs_from` and expanded by PathFilter (glob.h). No part holds "//".
inline constexpr std::string_view kPythonMagic = ":(python)";

/// The marker for `entry` and the extra path directories `roots` ("." is the root).
std::string PythonMarker(std::string_view entry, const std::vector<std::string>& roots);

/// Whether `pattern` is a Python marker rather than a glob.
inline bool IsPythonMarker(std::string_view pattern) {
  return pattern.substr(0, kPythonMagic.size()) == kPythonMagic;
}

/// What the marker body (the part after kPythonMagic) stands for in the tree `read` reads.
/// An error only when a file cannot be read or python3 cannot be run.
Expected<std::vector<DerivedPattern>> PythonImportInputs(std::string_view body,
                                                         const TreeFileReader& read,
                                                         PythonAstReader* ast);

}  // namespace fanout
