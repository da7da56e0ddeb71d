#include "publish/reference.h"

#include <fmt/format.h>

namespace fanout::publish {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

/// A domain component: letters, digits and inner '-'.
bool ValidDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

/// "host", "host.example", "host:5000", "[::1]:5000" is not supported (IPv6 literals).
bool ValidDomain(std::string_view s) {
  std::string_view host = s;
  if (const std::size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
    }
    host = s.substr(0, colon);
  }
  for (std::size_t start = 0;;) {
    const std::size_t dot = host.find('.', start);
    if (!ValidDomainComponent(host.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

/// A path component: lowercase alphanumerics joined by '.', '_', '__' or a run of '-'.
bool ValidPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !IsLowerAlnum(s[j])) ++j;
    const std::string_view sep = s.substr(i, j - i);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

bool ValidTag(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.front() == '-') return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

Expected<ImageReference> ParseReference(std::string_view text) {
  if (text.find('@') != std::string_view::npos) {
    return MakeError("a tag may not name a digest ('@'): fanout pushes by digest itself");
  }
  ImageReference ref;
  std::string_view name = text;
  // The tag follows the last ':' after the last '/' (a ':' before it is the domain's port).
  const std::size_t slash = text.rfind('/');
  const std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(text.substr(colon + 1));
    name = text.substr(0, colon);
    if (!ValidTag(ref.tag)) {
      return MakeError(fmt::format(
          "the tag '{}' is not valid: a tag has 1 to 128 letters, digits, '_', '.' and '-', "
          "and does not start with '.' or '-'",
          ref.tag));
    }
  } else {
    ref.tag = "latest";
  }
  if (name.empty()) return MakeError("the reference has no repository name");
  if (name.size() > 255) return MakeError("the repository name is longer than 255 characters");
  std::size_t start = 0;
  const std::size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, first_slash);
    // As docker decides: the first component is a registry when it has '.' or ':', or is
    // "localhost", or has an uppercase letter (which a path component may not).
    const bool is_domain = first.find_first_of(".:") != std::string_view::npos ||
                           first == "localhost" ||
                           first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos;
    if (is_domain) {
      if (!ValidDomain(first)) {
        return MakeError(
            fmt::format("'{}' is not a valid registry host (HOST or HOST:PORT)", first));
      }
      start = first_slash + 1;
    }
  }
  for (;;) {
    const std::size_t end = name.find('/', start);
    const std::string_view component = name.substr(start, end - start);
    if (!ValidPathComponent(component)) {
      return MakeError(fmt::format(
          "'{}' is not a valid repository name component: use lowercase letters and digits, "
          "joined by '.', '_', '__' or '-'",
          component));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  ref.repository = std::string(name);
  return ref;
}

}  // namespace fanout::publish
