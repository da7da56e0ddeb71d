// A writer for Ninja files in the spirit of ninja's misc/ninja_syntax.py, escaping every token
// by its kind at the moment it is written (research/ninja-style.md §1.6):
//   paths (build outputs and inputs, default targets): `$` -> `$$`, space -> `$ `, `:` -> `$:`;
//   values (variable bindings): `$` -> `$$` (and a leading space -> `$ `);
//   identifiers (rule, pool and variable names): must match [a-zA-Z0-9_.-]+.
// A newline, CR or NUL cannot be written in a path or a value, and `|` cannot be written in a
// path: those are errors, never silently changed text.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"

#include "base/shell_quote.h"

namespace fanout {

/// The path escaped for a `build` or `default` line; an error (naming the path) when it is
/// empty or holds `|`, a newline, a CR or a NUL.
Expected<std::string> EscapeNinjaPath(std::string_view path);

/// The literal text escaped for the right-hand side of a binding (`$` -> `$$`, a leading space
/// -> `$ `); an error when it holds a newline, a CR or a NUL.
Expected<std::string> EscapeNinjaValue(std::string_view value);

/// Succeeds when `name` can name a Ninja rule, pool or variable ([a-zA-Z0-9_.-]+); `what`
/// ("rule", "pool", "variable") goes into the error message.
Status CheckNinjaIdentifier(std::string_view name, std::string_view what);

/// The right-hand side of a Ninja binding: literal text and variable references, kept apart
/// so that the literal parts are escaped when written and the references are not.
/// A std::string or a C string converts to an all-literal value.
class NinjaValue {
 public:
  NinjaValue() = default;
  NinjaValue(std::string literal) { Append(std::move(literal)); }  // NOLINT: implicit by design
  NinjaValue(const char* literal) : NinjaValue(std::string(literal)) {}  // NOLINT
  /// A value that is just a reference to variable `name`.
  static NinjaValue Var(std::string name) { return NinjaValue().AppendVar(std::move(name)); }

  /// Appends literal text.
  NinjaValue& Append(std::string literal);
  /// Appends a reference to variable `name` (written `$name`, or `${name}` when the next
  /// character would otherwise be read as part of the name).
  NinjaValue& AppendVar(std::string name);

  /// True when the value has no text and no references.
  bool empty() const { return segments_.empty(); }

  /// The value as Ninja text, or an error for a literal Ninja cannot hold or a bad name.
  Expected<std::string> Render() const;

 private:
  struct Segment {
    bool is_var = false;
    std::string text;
  };
  std::vector<Segment> segments_;
};

/// A `rule` block. Only Ninja's reserved rule keys exist here; empty fields are not written.
struct NinjaRule {
  std::string name;    ///< identifier; not `phony`
  NinjaValue command;  ///< required
  NinjaValue description;
  NinjaValue depfile;
  std::string pool;  ///< identifier; `console` is predefined by Ninja
  bool generator = false;
  bool restat = false;
  std::string deps;  ///< "", "gcc" or "msvc"
};

/// A `build` statement: `build OUTS [| IMPLICIT_OUTS]: RULE INS [| IMPLICIT] [|| ORDER_ONLY]`
/// followed by per-edge bindings, written in key order.
struct NinjaBuild {
  std::vector<std::string> outputs;  ///< at least one
  std::vector<std::string> implicit_outputs;
  std::string rule;  ///< a declared rule or `phony`
  std::vector<std::string> inputs;
  std::vector<std::string> implicit;
  std::vector<std::string> order_only;
  std::map<std::string, NinjaValue> variables;
};

/// Writes Ninja statements to a stream. Each method checks and escapes everything first and
/// writes nothing when it returns an error, so a failed call never leaves half a statement.
class NinjaWriter {
 public:
  /// `width`: `build` and `default` lines longer than this are wrapped between tokens with
  /// ` $` continuations (a single token longer than the width is never split).
  explicit NinjaWriter(std::ostream& out, std::size_t width = 100);
  ~NinjaWriter();
  NinjaWriter(const NinjaWriter&) = delete;
  NinjaWriter& operator=(const NinjaWriter&) = delete;

  /// An empty line (ends the previous block).
  void Newline();
  /// `# text`, one comment line per line of `text`; an error for a CR or a NUL.
  Status Comment(std::string_view text);
  /// `key = value`, indented by `indent` spaces (2 inside a rule or build block).
  Status Variable(std::string_view key, const NinjaValue& value, int indent = 0);
  /// `pool NAME` with `depth = N` (N >= 0; 0 means unlimited). Declaring `console` is an
  /// error: Ninja predefines it.
  Status Pool(std::string_view name, int depth);
  /// A `rule` block; an error when the command is empty or a name is not an identifier.
  Status Rule(const NinjaRule& rule);
  /// A `build` statement and its bindings.
  Status Build(const NinjaBuild& build);
  /// `default T...` (at least one target).
  Status Default(const std::vector<std::string>& targets);

 private:
  struct Tokens;

  // Appends the tokens joined with single spaces, wrapping with " $\n    " past width_.
  void WrapLine(const Tokens& tokens, std::string* out) const;
  // Appends `key = value` and a newline.
  static Status AppendVariable(std::string* out, std::string_view key, const NinjaValue& value,
                               int indent);

  std::ostream& out_;
  std::size_t width_;
  std::unique_ptr<Tokens> tokens_;  ///< scratch, reused by every statement
  std::string block_;               ///< scratch
};

}  // namespace fanout
