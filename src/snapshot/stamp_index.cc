#include "snapshot/stamp_index.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/sha256.h"

namespace fanout {

StampIndex::StampIndex(std::string text) : text_(std::move(text)) {
  std::string_view rest = text_;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    // Paths and revisions (which may hold spaces) take the rest of their line.
    if (line.starts_with("#repo ")) {
      repo_ = line.substr(6);
      continue;
    }
    if (line.starts_with("#source ")) {
      source_ = line.substr(8);
      continue;
    }
    std::string_view fields[3];
    std::size_t n = 0;
    while (!line.empty() && n < 3) {
      const std::size_t sp = line.find(' ');
      fields[n++] = line.substr(0, sp);
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    }
    if (fields[0] == "#tree") {
      // Digests computed another way than this build's are not reused.
      if (n == 3 && fields[2] == kInputDigestVersion) tree_ = fields[1];
    } else if (fields[0] == "#plan") {
      if (n >= 2) plan_ = fields[1];
    } else if (n >= 2) {
      entries_.push_back({fields[0], fields[1], n == 3 ? fields[2] : std::string_view()});
    }
  }
  auto by_name = [](const Entry& a, const Entry& b) { return a.name < b.name; };
  if (!std::is_sorted(entries_.begin(), entries_.end(), by_name)) {
    std::sort(entries_.begin(), entries_.end(), by_name);
  }
}

StampIndex StampIndex::Read(const std::string& build_dir) {
  auto text = ReadFile(build_dir + "/" + layout::kStampIndex);
  return StampIndex(text.ok() ? std::move(*text) : std::string());
}

const StampIndex::Entry* StampIndex::Find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

std::string StampIndexText(const std::string& tree, std::string_view plan_digest,
                           const std::string& repo_root, const std::string& source,
                           const std::vector<DigestView>& digests) {
  std::string text = fmt::format("#tree {} {}\n#plan {}\n", tree, kInputDigestVersion, plan_digest);
  if (repo_root.find('\n') == std::string::npos && source.find('\n') == std::string::npos) {
    text.append("#repo ").append(repo_root).append("\n#source ").append(source) += '\n';
  }
  text.reserve(text.size() + digests.size() * 150);
  for (const DigestView& d : digests) {
    text.append(d.name).append(" ").append(d.digest).append(" ").append(d.definition) += '\n';
  }
  return text;
}

std::string PlanDigest(std::string_view plan_text) {
  Sha256 h;
  h.Update(plan_text);
  return h.HexDigest();
}

}  // namespace fanout
