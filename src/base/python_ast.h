// What a Python module imports, read by Python's own parser (the `ast` module of the host's
// python3), for `inputs_from: {python: ...}` (base/python_imports.h). The source is parsed,
// never run: python3 starts isolated (-I -S: no site packages, no user or repository module
// on its path) and reads each module's bytes from a socket, so a module's encoding
// declaration is honoured as Python honours it.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout {

/// What one module's source says about its imports.
struct PythonModuleInfo {
  struct Import {
    int level = 0;                   ///< 0 absolute; N for N leading dots (`from .. import x` is 2)
    std::string module;              ///< "a.b"; empty for `from . import x`
    std::vector<std::string> names;  ///< for `from M import a, b`: a, b ("*" for a star)
    int line = 0;
  };
  std::vector<Import> imports;  ///< every import statement, at any depth (functions, try)
  /// `importlib.import_module(X)` or `__import__(X)` with an X that is not a literal: the
  /// module is named at run time. 1-based lines.
  std::vector<int> dynamic_lines;
  /// The module's literal `__all__`, when it has one (a star import of a package imports
  /// the submodules it names).
  std::optional<std::vector<std::string>> all;
  /// Why the source does not parse ("LINE: message"); empty when it does.
  std::string error;
};

/// One python3 process reading modules, for as long as the object lives; reaped when it goes
/// (a runner that reaps every child must not find it later). Results are remembered
/// process-wide by the source's digest, and across runs in this user's cache directory
/// (base/user_state.h, `python-imports/`) by that digest and the python3 that read it, so a
/// module read once is never sent again, and the process starts only when a source not read
/// before comes.
class PythonAstReader {
 public:
  PythonAstReader() = default;
  ~PythonAstReader();
  PythonAstReader(const PythonAstReader&) = delete;
  PythonAstReader& operator=(const PythonAstReader&) = delete;

  /// Parses `source`. An error when python3 cannot be started or stops answering; a source
  /// that does not parse is not an error (PythonModuleInfo::error).
  Expected<PythonModuleInfo> Read(std::string_view source);

 private:
  Status Start();
  void Stop();

  UniqueFd socket_;
  pid_t pid_ = -1;
  bool cache_checked_ = false;
  UniqueFd cache_;      ///< this user's cache of answers (base/user_state.h), when there is one
  std::string python_;  ///< the python3 on PATH (ProgramIdentity), part of each answer's key
};

}  // namespace fanout
