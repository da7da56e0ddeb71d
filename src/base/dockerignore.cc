#include "base/dockerignore.h"

#include <regex>
#include <utility>

namespace fanout {

namespace {

std::string_view TrimSpace(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

/// The regular expression the engine makes of a cleaned pattern (see dockerignore.h).
std::string PatternRegex(std::string_view p) {
  std::string re = "^";
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char ch = p[i];
    if (ch == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/') ++i;  // "**/" is "**"
        re += i + 1 == p.size() ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (ch == '?') {
      re += "[^/]";
    } else if (ch == '.' || ch == '$') {
      re += '\\';
      re += ch;
    } else if (ch == '\\') {
      re += '\\';
      if (i + 1 < p.size()) re += p[++i];
    } else {
      re += ch;
    }
  }
  return re + "$";
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash == std::string_view::npos ? s.npos : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

}  // namespace

std::string DockerignoreMarker(std::string_view context, std::string_view dockerfile) {
  return std::string(kDockerignoreMagic) + std::string(context) + "//" + std::string(dockerfile);
}

std::vector<std::string> DockerignoreFiles(std::string_view context, std::string_view dockerfile) {
  return {std::string(dockerfile) + ".dockerignore",
          context == "." ? std::string(".dockerignore") : std::string(context) + "/.dockerignore"};
}

struct DockerIgnore::Rules {
  struct Pattern {
    std::string cleaned;  ///< without the '!'
    bool exception = false;
    std::size_t segments = 0;
    std::regex re;
  };
  std::vector<Pattern> patterns;
  bool exceptions = false;
};

DockerIgnore::DockerIgnore() : rules_(std::make_shared<const Rules>()) {}

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<std::string_view> out;
  std::size_t fixed = 0;  // leading ".." that cannot be removed (unrooted paths only)
  for (std::string_view part : Split(path)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.size() > fixed) {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(part);
        ++fixed;
      }
      continue;
    }
    out.push_back(part);
  }
  std::string s = rooted ? "/" : "";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i) s += '/';
    s += out[i];
  }
  return s.empty() ? "." : s;
}

Expected<DockerIgnore> DockerIgnore::Parse(std::string_view text) {
  auto rules = std::make_shared<Rules>();
  std::size_t line_no = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (!line.empty() && line[0] == '#') continue;  // a comment only in the first column
    line = TrimSpace(line);
    if (line.empty()) continue;
    const bool exception = line[0] == '!';
    std::string pattern(exception ? TrimSpace(line.substr(1)) : line);
    if (!pattern.empty()) {
      pattern = CleanPath(pattern);
      if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    }
    const auto error = [&](const std::string& what) {
      return MakeError(std::to_string(line_no) + ":pattern '" + std::string(line) + "' " + what);
    };
    if (exception && pattern.empty()) return error("is '!' alone, which the engine refuses");
    std::size_t backslashes = 0;
    while (backslashes < pattern.size() && pattern[pattern.size() - 1 - backslashes] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 1) {
      return error("ends with an escaping '\\', which the engine refuses");
    }
    Rules::Pattern p;
    p.cleaned = std::move(pattern);
    p.exception = exception;
    p.segments = Split(p.cleaned).size();
    try {
      p.re = std::regex(PatternRegex(p.cleaned), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return error("is not a valid pattern (the engine reads it as a regular expression)");
    }
    rules->exceptions |= exception;
    rules->patterns.push_back(std::move(p));
  }
  DockerIgnore ignore;
  ignore.rules_ = std::move(rules);
  return ignore;
}

std::vector<std::string> DockerIgnore::patterns() const {
  std::vector<std::string> out;
  for (const Rules::Pattern& p : rules_->patterns) {
    out.push_back((p.exception ? "!" : "") + p.cleaned);
  }
  return out;
}

bool DockerIgnore::Excluded(std::string_view path) const {
  const std::size_t slash = path.rfind('/');
  const std::string_view parent = slash == std::string_view::npos ? "" : path.substr(0, slash);
  const std::size_t parent_segments = parent.empty() ? 0 : Split(parent).size();
  bool matched = false;
  for (const Rules::Pattern& p : rules_->patterns) {
    bool match = std::regex_search(path.begin(), path.end(), p.re);
    // The engine also tries the path's first N directories, N being the pattern's segments.
    if (!match && !parent.empty() && p.segments <= parent_segments) {
      std::size_t cut = 0;
      for (std::size_t k = 0; k < p.segments; ++k) cut = parent.find('/', cut + (k ? 1 : 0));
      const std::string_view head = parent.substr(0, cut);
      match = std::regex_search(head.begin(), head.end(), p.re);
    }
    if (match) matched = !p.exception;
  }
  return matched;
}

bool DockerIgnore::Sends(std::string_view path) const {
  if (rules_->patterns.empty()) return true;
  // The engine walks the context from its root: an excluded directory is skipped with all it
  // holds unless an exception's text starts with the directory's path.
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    const std::string_view dir = path.substr(0, slash);
    if (!Excluded(dir)) continue;
    if (!rules_->exceptions) return false;
    bool descend = false;
    for (const Rules::Pattern& p : rules_->patterns) {
      if (p.exception && p.cleaned.size() + 1 > dir.size() &&
          (p.cleaned + "/").compare(0, dir.size() + 1, std::string(dir) + "/") == 0) {
        descend = true;
        break;
      }
    }
    if (!descend) return false;
  }
  return !Excluded(path);
}

}  // namespace fanout
