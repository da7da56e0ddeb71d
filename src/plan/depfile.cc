#include "plan/depfile.h"

#include <set>

namespace fanout {

namespace {

// Characters Ninja's depfile parser takes as part of a path (ninja 1.11 depfile_parser.in.cc),
// besides the three we escape.
bool IsDepfilePlain(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (static_cast<unsigned char>(c) >= 0x80) return true;
  return std::string_view("+,/_:.~()}{%=@[]!-").find(c) != std::string_view::npos;
}

void AppendEscaped(std::string_view path, std::string* out) {
  for (char c : path) {
    if (c == ' ' || c == '#') *out += '\\';
    if (c == '$') *out += '$';
    *out += c;
  }
}

}  // namespace

bool DepfileCanExpress(std::string_view path) {
  if (path.empty() || path.back() == ':') return false;
  for (char c : path) {
    if (c != ' ' && c != '#' && c != '$' && !IsDepfilePlain(c)) return false;
  }
  return true;
}

std::string WriteDepfile(std::string_view target, const std::vector<std::string>& paths,
                         std::vector<std::string>* left_out) {
  std::set<std::string> sorted(paths.begin(), paths.end());
  std::string out;
  AppendEscaped(target, &out);
  out += ':';
  for (const std::string& f : sorted) {
    if (!DepfileCanExpress(f)) {
      if (left_out) left_out->push_back(f);
      continue;
    }
    out += " \\\n  ";
    AppendEscaped(f, &out);
  }
  out += '\n';
  return out;
}

}  // namespace fanout
