// BUILD/.fanout/stamps.index, the snapshot step's memory of its last run: read (StampIndex)
// and written (StampIndexText) here, and nowhere else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fanout {

/// Names how input digests are computed; stamps.index records it with the tree, so a change
/// here is never mixed with digests computed the old way.
inline constexpr const char* kInputDigestVersion = "fanout-input-digest-v1";

/// One target's input digest: the hex SHA-256 of its definition digest and every matched
/// file's path, mode and blob id (with `checkout: full`, of the whole tree id).
struct TargetDigest {
  std::string name;
  std::string digest;
  std::string definition;  ///< the definition digest it was computed with
  bool operator<(const TargetDigest& o) const { return name < o.name; }
};

/// BUILD/.fanout/stamps.index as the last snapshot left it: the tree it resolved, the digest
/// of the plan it was taken for, and each target's input and definition digests ("#tree OID
/// VERSION", "#plan SHA256", "#repo ROOT", "#source REV", then "NAME DIGEST DEFINITION"
/// lines).
/// Since an input digest is a function of the tree and the definition digest alone, a
/// snapshot of the same tree reuses the digest of every target whose definition is unchanged;
/// with the same plan too, it reuses the whole index without reading the plan's targets.
class StampIndex {
 public:
  struct Entry {
    std::string_view name, digest, definition;
  };
  explicit StampIndex(std::string text);
  /// BUILD/.fanout/stamps.index; empty when missing or unreadable.
  static StampIndex Read(const std::string& build_dir);
  /// The tree the digests were computed from; empty when not recorded.
  std::string_view tree() const { return tree_; }
  /// PlanDigest() of the plan.json the digests were computed for; empty when not recorded.
  std::string_view plan() const { return plan_; }
  /// That plan's repository root and source; empty when not recorded.
  std::string_view repo() const { return repo_; }
  std::string_view source() const { return source_; }
  const Entry* Find(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::string text_;
  std::string_view tree_;
  std::string_view plan_;
  std::string_view repo_;
  std::string_view source_;
  std::vector<Entry> entries_;  ///< sorted by name, views into text_
};

/// One target's digests, as stamps.index and the stamps take them (views into a
/// TargetDigest or a StampIndex).
struct DigestView {
  std::string_view name, digest, definition;
};

/// stamps.index text for `digests` (sorted by name), computed from `tree` for the plan whose
/// digest is `plan_digest`; the plan's repository and source are recorded when a line can
/// hold them.
std::string StampIndexText(const std::string& tree, std::string_view plan_digest,
                           const std::string& repo_root, const std::string& source,
                           const std::vector<DigestView>& digests);

/// The digest of plan.json's text that stamps.index records.
std::string PlanDigest(std::string_view plan_text);

}  // namespace fanout
