#include "base/dockerfile_sources.h"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/dockerignore.h"

namespace fanout {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// One instruction, its continuation lines joined, and the line it starts on.
struct Instruction {
  std::string text;
  int line = 0;
};

/// The physical lines of `text`, without their line ends.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

/// The words of an instruction's arguments in shell form: split at blanks, with quotes and the
/// escape character taken off as the frontend does.
std::vector<std::string> Words(std::string_view s, char escape) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == escape && quote == '"' && i + 1 < s.size()) {
        word += s[++i];
      } else {
        word += c;
      }
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == escape && i + 1 < s.size()) {
      word += s[++i];
    } else {
      word += c;
    }
  }
  if (in_word) out.push_back(std::move(word));
  return out;
}

/// The arguments of COPY or ADD: the JSON form when it is one, else the shell form.
std::vector<std::string> Arguments(std::string_view rest, char escape) {
  if (!rest.empty() && rest.front() == '[') {
    auto j = nlohmann::json::parse(rest, nullptr, false);
    if (j.is_array() && std::all_of(j.begin(), j.end(), [](auto& v) { return v.is_string(); })) {
      std::vector<std::string> out;
      for (auto& v : j) out.push_back(v.get<std::string>());
      return out;
    }
  }
  return Words(rest, escape);
}

/// A parser directive line, `# name=value` (blanks allowed around both): its name and value.
bool Directive(std::string_view line, std::string* name, std::string* value) {
  if (line.empty() || line.front() != '#') return false;
  std::string_view rest = Trim(line.substr(1));
  std::size_t n = 0;
  while (n < rest.size() && std::isalpha(static_cast<unsigned char>(rest[n]))) ++n;
  if (n == 0) return false;
  std::string_view after = Trim(rest.substr(n));
  if (after.empty() || after.front() != '=') return false;
  *name = std::string(rest.substr(0, n));
  *value = std::string(Trim(after.substr(1)));
  return true;
}

class Reader {
 public:
  explicit Reader(DockerfileSources* out) : out_(out) {}

  void Read(std::string_view text) {
    const std::vector<std::string_view> lines = Lines(text);
    std::size_t i = 0;
    // Parser directives: `# name=value` lines before anything else.
    for (; i < lines.size(); ++i) {
      std::string name, value;
      if (!Directive(lines[i], &name, &value)) break;
      if (Upper(name) == "ESCAPE" && (value == "`" || value == "\\")) escape_ = value[0];
    }
    Instruction ins;
    for (; i < lines.size(); ++i) {
      const std::string_view trimmed = Trim(lines[i]);
      if (trimmed.empty() || trimmed.front() == '#') continue;  // also inside a continuation
      if (ins.text.empty()) ins.line = static_cast<int>(i) + 1;
      std::string_view part = lines[i];
      while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) {
        part.remove_suffix(1);
      }
      if (!part.empty() && part.back() == escape_) {
        part.remove_suffix(1);
        ins.text.append(part);
        ins.text += ' ';
        continue;
      }
      ins.text.append(part);
      i = SkipHeredocs(ins.text, lines, i);
      Take(ins);
      ins = Instruction();
    }
    if (!ins.text.empty()) Take(ins);
  }

 private:
  // Here-documents of RUN, COPY and ADD: their bodies follow the instruction, up to a line that
  // is the word alone (tabs first removed with `<<-`). Returns the index of the last line used.
  std::size_t SkipHeredocs(const std::string& text, const std::vector<std::string_view>& lines,
                           std::size_t i) const {
    const std::string name = Upper(Trim(text).substr(0, Trim(text).find_first_of(" \t")));
    if (name != "RUN" && name != "COPY" && name != "ADD") return i;
    // Each `<<WORD`, `<<-WORD`, `<<"WORD"` or `<<'WORD'`, in order.
    for (std::size_t at = text.find("<<"); at != std::string::npos; at = text.find("<<", at)) {
      at += 2;
      const bool strip_tabs = at < text.size() && text[at] == '-';
      if (strip_tabs) ++at;
      const char quote = at < text.size() && (text[at] == '"' || text[at] == '\'') ? text[at] : 0;
      if (quote) ++at;
      const std::size_t start = at;
      while (at < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[at])) || text[at] == '_')) {
        ++at;
      }
      if (at == start || std::isdigit(static_cast<unsigned char>(text[start]))) continue;
      if (quote && (at >= text.size() || text[at] != quote)) continue;
      const std::string_view word = std::string_view(text).substr(start, at - start);
      while (++i < lines.size()) {
        std::string_view l = lines[i];
        if (strip_tabs) {
          while (!l.empty() && l.front() == '\t') l.remove_prefix(1);
        }
        if (l == word) break;
      }
    }
    return std::min(i, lines.size() - 1);
  }

  void Take(const Instruction& ins) {
    const std::string_view text = Trim(ins.text);
    const std::size_t blank = text.find_first_of(" \t");
    const std::string name = Upper(text.substr(0, blank));
    std::string_view rest = blank == std::string_view::npos ? "" : Trim(text.substr(blank));
    if (name != "COPY" && name != "ADD" && name != "RUN") return;  // ONBUILD: a later build's
    // Flags come first: `--name[=value]` words.
    std::vector<std::pair<std::string, std::string>> flags;
    while (rest.substr(0, 2) == "--") {
      const std::size_t end = rest.find_first_of(" \t");
      const std::string_view flag = rest.substr(2, end == std::string_view::npos ? end : end - 2);
      const std::size_t eq = flag.find('=');
      flags.emplace_back(Upper(flag.substr(0, eq)),
                         eq == std::string_view::npos ? "" : std::string(flag.substr(eq + 1)));
      rest = end == std::string_view::npos ? "" : Trim(rest.substr(end));
    }
    if (name == "RUN") {
      for (const auto& [flag, value] : flags) {
        if (flag == "MOUNT") Mount(value, ins.line);
      }
      return;
    }
    for (const auto& [flag, value] : flags) {
      if (flag == "FROM") return;  // another stage, an image or a named context
    }
    std::vector<std::string> args = Arguments(rest, escape_);
    if (args.size() < 2) return;  // the build fails on it; nothing to derive
    args.pop_back();              // the destination
    for (const std::string& source : args) {
      if (name == "ADD" &&
          (source.find("://") != std::string::npos || source.rfind("git@", 0) == 0)) {
        continue;  // read from the network, not the context
      }
      Source(source, ins.line, name);
    }
  }

  // `type=bind,source=S` (bind is the default type) reads S of the context, or all of it.
  void Mount(const std::string& spec, int line) {
    std::string type = "bind", source;
    bool from = false;
    std::size_t start = 0;
    while (start <= spec.size()) {
      std::size_t comma = spec.find(',', start);
      if (comma == std::string::npos) comma = spec.size();
      const std::string field = spec.substr(start, comma - start);
      const std::size_t eq = field.find('=');
      const std::string key = Upper(field.substr(0, eq));
      const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (key == "TYPE") type = value;
      if (key == "SOURCE" || key == "SRC") source = value;
      if (key == "FROM") from = true;
      start = comma + 1;
    }
    if (type != "bind" || from) return;
    if (source.empty()) {
      Widen(line, "RUN --mount=type=bind without a source mounts the whole context");
      return;
    }
    Source(source, line, "RUN");
  }

  void Source(const std::string& source, int line, const std::string& instruction) {
    if (source.rfind("<<", 0) == 0) return;  // a here-document
    if (source.find('$') != std::string::npos) {
      Widen(line, fmt::format("{} source '{}' names a variable, known only when building",
                              instruction, source));
      return;
    }
    std::string_view s = source;
    while (!s.empty() && s.front() == '/') s.remove_prefix(1);
    const std::string clean = CleanPath(s);
    if (clean == ".") {
      Widen(line, fmt::format("{} '{}' takes the whole context", instruction, source));
      return;
    }
    if (clean == ".." || clean.rfind("../", 0) == 0) {
      out_->notes.push_back(
          fmt::format("{}: {} source '{}' is outside the context (the engine refuses it)", line,
                      instruction, source));
      return;
    }
    out_->sources.push_back({clean, line, instruction});
  }

  void Widen(int line, const std::string& why) {
    out_->whole_context = true;
    out_->notes.push_back(fmt::format("{}: {}", line, why));
  }

  DockerfileSources* out_;
  char escape_ = '\\';
};

}  // namespace

DockerfileSources ParseDockerfileSources(std::string_view text) {
  DockerfileSources out;
  Reader(&out).Read(text);
  return out;
}

std::string DockerfileMarker(std::string_view context, std::string_view dockerfile) {
  return fmt::format("{}{}//{}", kDockerfileMagic, context, dockerfile);
}

}  // namespace fanout
