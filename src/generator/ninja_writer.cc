#include "generator/ninja_writer.h"

#include <array>

#include <fmt/format.h>

namespace fanout {

namespace {

// Shows text in an error message with control characters made visible.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The name of the first character that neither a path nor a value can hold, or nullptr.
const char* ForbiddenChar(std::string_view text) {
  for (char c : text) {
    if (c == '\n') return "a newline";
    if (c == '\r') return "a carriage return";
    if (c == '\0') return "a NUL byte";
  }
  return nullptr;
}

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Characters Ninja reads as part of `$name` (no '.'; that needs `${name}`).
bool IsSimpleVarChar(char c) { return IsIdentifierChar(c) && c != '.'; }

// `$` -> `$$`; an error for what no value can hold.
Expected<std::string> EscapeValueText(std::string_view value) {
  if (const char* bad = ForbiddenChar(value)) {
    return MakeError(fmt::format("cannot write value '{}' in a Ninja file: it contains {}",
                                 Printable(value), bad));
  }
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

// Ninja strips the spaces after `=`; an escaped space keeps a leading one.
void EscapeLeadingSpace(std::string* value) {
  if (value->empty() || (*value)[0] != ' ') return;
  // Not value->insert(0, "$"): GCC 12 at -O3 reports a -Wrestrict false positive on it
  // (GCC bug 105329).
  std::string escaped = "$";
  escaped += *value;
  *value = std::move(escaped);
}

// Escapes a list of paths, appending to `tokens`.
// Checks that `path` can be written in a Ninja file; the message names the path.
// How a path's bytes are written: as they are, after a '$', or not at all (a newline, CR or
// NUL ends a Ninja line or string; '|' cannot be escaped in a path). One table lookup a byte:
// a 10,000-target build file writes some 60,000 paths.
enum PathByte : unsigned char { kPathPlain, kPathEscape, kPathInvalid };
constexpr std::array<unsigned char, 256> kPathBytes = [] {
  std::array<unsigned char, 256> t{};
  t['$'] = t[' '] = t[':'] = kPathEscape;
  t['\n'] = t['\r'] = t['\0'] = t['|'] = kPathInvalid;
  return t;
}();

Status CheckNinjaPath(std::string_view path) {
  if (path.empty()) return MakeError("cannot write an empty path in a Ninja file");
  bool invalid = false;
  for (char c : path) invalid |= kPathBytes[static_cast<unsigned char>(c)] == kPathInvalid;
  if (!invalid) return {};
  if (const char* bad = ForbiddenChar(path)) {
    return MakeError(fmt::format("cannot write path '{}' in a Ninja file: it contains {}",
                                 Printable(path), bad));
  }
  if (path.find('|') != std::string_view::npos) {
    return MakeError(fmt::format(
        "cannot write path '{}' in a Ninja file: '|' cannot be escaped in a path", path));
  }
  return {};
}

void AppendEscapedPath(std::string_view path, std::string* out) {
  std::size_t run = 0;  // start of the bytes not yet appended
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (kPathBytes[static_cast<unsigned char>(path[i])] != kPathEscape) continue;
    out->append(path.data() + run, i - run);
    out->push_back('$');
    run = i;
  }
  out->append(path.data() + run, path.size() - run);
}

}  // namespace

// A statement's tokens, escaped into one buffer (no allocation per token on large files).
struct NinjaWriter::Tokens {
  std::string text;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  ///< [begin, end) into text

  void Clear() {
    text.clear();
    spans.clear();
  }
  void Add(std::string_view token) {
    spans.emplace_back(text.size(), text.size() + token.size());
    text.append(token);
  }
  Status AddPaths(const std::vector<std::string>& paths) {
    for (const std::string& p : paths) {
      FANOUT_TRY(CheckNinjaPath(p));
      const std::size_t begin = text.size();
      AppendEscapedPath(p, &text);
      spans.emplace_back(begin, text.size());
    }
    return {};
  }
  /// Appends `suffix` to the last token (it must be the last text written).
  void ExtendLast(char suffix) {
    text.push_back(suffix);
    spans.back().second = text.size();
  }
};

NinjaWriter::NinjaWriter(std::ostream& out, std::size_t width)
    : out_(out), width_(width), tokens_(std::make_unique<Tokens>()) {}

NinjaWriter::~NinjaWriter() = default;

Expected<std::string> EscapeNinjaPath(std::string_view path) {
  FANOUT_TRY(CheckNinjaPath(path));
  std::string out;
  out.reserve(path.size());
  AppendEscapedPath(path, &out);
  return out;
}

Expected<std::string> EscapeNinjaValue(std::string_view value) {
  Expected<std::string> out = EscapeValueText(value);
  if (out) EscapeLeadingSpace(&*out);
  return out;
}

Status CheckNinjaIdentifier(std::string_view name, std::string_view what) {
  bool ok = !name.empty();
  for (char c : name) ok = ok && IsIdentifierChar(c);
  if (!ok) {
    return MakeError(fmt::format("invalid Ninja {} name '{}': names must match [a-zA-Z0-9_.-]+",
                                 what, Printable(name)));
  }
  return {};
}

NinjaValue& NinjaValue::Append(std::string literal) {
  if (literal.empty()) return *this;
  if (!segments_.empty() && !segments_.back().is_var) {
    segments_.back().text += literal;
  } else {
    segments_.push_back(Segment{false, std::move(literal)});
  }
  return *this;
}

NinjaValue& NinjaValue::AppendVar(std::string name) {
  segments_.push_back(Segment{true, std::move(name)});
  return *this;
}

Expected<std::string> NinjaValue::Render() const {
  // Escape the literal parts first, so a reference can look at the character after it.
  std::vector<std::string> parts;
  for (const Segment& s : segments_) {
    if (s.is_var) {
      FANOUT_TRY(CheckNinjaIdentifier(s.text, "variable"));
      parts.push_back(s.text);
    } else {
      Expected<std::string> escaped = EscapeValueText(s.text);
      if (!escaped) return escaped.error();
      parts.push_back(std::move(*escaped));
    }
  }
  std::string out;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (!segments_[i].is_var) {
      out += parts[i];
      continue;
    }
    bool braces = parts[i].find('.') != std::string::npos;
    if (i + 1 < segments_.size() && IsSimpleVarChar(parts[i + 1][0])) braces = true;
    // Appended piece by piece, not "${" + ...: a GCC 12 -O3 -Wrestrict false positive.
    out += braces ? "${" : "$";
    out += parts[i];
    if (braces) out += '}';
  }
  EscapeLeadingSpace(&out);
  return out;
}

void NinjaWriter::Newline() { out_ << '\n'; }

Status NinjaWriter::Comment(std::string_view text) {
  if (text.find('\r') != std::string_view::npos || text.find('\0') != std::string_view::npos) {
    return MakeError(
        fmt::format("cannot write comment '{}' in a Ninja file: it contains a "
                    "carriage return or a NUL byte",
                    Printable(text)));
  }
  std::string lines;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    lines += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out_ << lines;
  return {};
}

Status NinjaWriter::AppendVariable(std::string* out, std::string_view key, const NinjaValue& value,
                                   int indent) {
  FANOUT_TRY(CheckNinjaIdentifier(key, "variable"));
  Expected<std::string> text = value.Render();
  if (!text) return text.error();
  out->append(static_cast<std::size_t>(indent), ' ');
  out->append(key);
  out->append(" =");
  if (!text->empty()) {
    out->push_back(' ');
    out->append(*text);
  }
  out->push_back('\n');
  return {};
}

Status NinjaWriter::Variable(std::string_view key, const NinjaValue& value, int indent) {
  std::string line;
  FANOUT_TRY(AppendVariable(&line, key, value, indent));
  out_ << line;
  return {};
}

Status NinjaWriter::Pool(std::string_view name, int depth) {
  FANOUT_TRY(CheckNinjaIdentifier(name, "pool"));
  if (name == "console") {
    return MakeError("cannot declare pool 'console': Ninja predefines it with depth 1");
  }
  if (depth < 0) return MakeError(fmt::format("pool '{}' has a negative depth {}", name, depth));
  out_ << "pool " << name << "\n  depth = " << depth << '\n';
  return {};
}

Status NinjaWriter::Rule(const NinjaRule& rule) {
  FANOUT_TRY(CheckNinjaIdentifier(rule.name, "rule"));
  if (rule.name == "phony") return MakeError("cannot declare rule 'phony': Ninja predefines it");
  if (rule.command.empty()) return MakeError(fmt::format("rule '{}' has no command", rule.name));
  if (!rule.pool.empty()) FANOUT_TRY(CheckNinjaIdentifier(rule.pool, "pool"));
  if (!rule.deps.empty() && rule.deps != "gcc" && rule.deps != "msvc") {
    return MakeError(fmt::format("rule '{}': deps must be 'gcc' or 'msvc', not '{}'", rule.name,
                                 Printable(rule.deps)));
  }
  // Render into a buffer so an error writes nothing.
  std::string block = "rule " + rule.name + "\n";
  FANOUT_TRY(AppendVariable(&block, "command", rule.command, 2));
  if (!rule.description.empty()) {
    FANOUT_TRY(AppendVariable(&block, "description", rule.description, 2));
  }
  if (!rule.depfile.empty()) FANOUT_TRY(AppendVariable(&block, "depfile", rule.depfile, 2));
  if (rule.generator) FANOUT_TRY(AppendVariable(&block, "generator", "1", 2));
  if (!rule.pool.empty()) FANOUT_TRY(AppendVariable(&block, "pool", rule.pool, 2));
  if (rule.restat) FANOUT_TRY(AppendVariable(&block, "restat", "1", 2));
  if (!rule.deps.empty()) FANOUT_TRY(AppendVariable(&block, "deps", rule.deps, 2));
  out_ << block;
  return {};
}

Status NinjaWriter::Build(const NinjaBuild& build) {
  if (build.outputs.empty()) return MakeError("a Ninja build statement needs an output");
  if (build.rule != "phony") FANOUT_TRY(CheckNinjaIdentifier(build.rule, "rule"));
  Tokens& t = *tokens_;
  t.Clear();
  t.Add("build");
  FANOUT_TRY(t.AddPaths(build.outputs));
  if (!build.implicit_outputs.empty()) {
    t.Add("|");
    FANOUT_TRY(t.AddPaths(build.implicit_outputs));
  }
  t.ExtendLast(':');
  t.Add(build.rule);
  FANOUT_TRY(t.AddPaths(build.inputs));
  if (!build.implicit.empty()) {
    t.Add("|");
    FANOUT_TRY(t.AddPaths(build.implicit));
  }
  if (!build.order_only.empty()) {
    t.Add("||");
    FANOUT_TRY(t.AddPaths(build.order_only));
  }
  // Render into a buffer so an error writes nothing.
  std::string& block = block_;
  block.clear();
  WrapLine(t, &block);
  block.push_back('\n');
  for (const auto& [key, value] : build.variables) {
    FANOUT_TRY(AppendVariable(&block, key, value, 2));
  }
  out_ << block;
  return {};
}

Status NinjaWriter::Default(const std::vector<std::string>& targets) {
  if (targets.empty()) return MakeError("a Ninja default statement needs a target");
  Tokens& t = *tokens_;
  t.Clear();
  t.Add("default");
  FANOUT_TRY(t.AddPaths(targets));
  std::string line;
  WrapLine(t, &line);
  out_ << line << '\n';
  return {};
}

void NinjaWriter::WrapLine(const Tokens& tokens, std::string* out) const {
  // The first token is the keyword; the first path always stays on the keyword's line.
  const auto& spans = tokens.spans;
  auto token = [&](std::size_t i) {
    return std::string_view(tokens.text).substr(spans[i].first, spans[i].second - spans[i].first);
  };
  out->append(token(0));
  std::size_t line_len = token(0).size();
  for (std::size_t i = 1; i < spans.size(); ++i) {
    const std::string_view t = token(i);
    // Leave room for the " $" that ends a wrapped line.
    std::size_t reserve = i + 1 < spans.size() ? 2 : 0;
    if (i > 1 && line_len + 1 + t.size() + reserve > width_) {
      out->append(" $\n    ");
      line_len = 4;
    } else {
      out->push_back(' ');
      ++line_len;
    }
    out->append(t);
    line_len += t.size();
  }
}

}  // namespace fanout
