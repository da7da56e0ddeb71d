#include "git/tree_reader.h"

namespace fanout {

TreeFileReader TreeReader(const Repository& repo, const git_oid& tree) {
  return TreeFileReader(
      [&repo, tree](const std::string& path) { return repo.ReadFileAt(tree, path); },
      [&repo, tree](const std::string& dir, const TreeFileReader::EachFile& each) {
        return repo.WalkTree(tree, dir, [&](const TreeFile& f) {
          if (f.mode != GIT_FILEMODE_BLOB && f.mode != GIT_FILEMODE_BLOB_EXECUTABLE) return;
          char hex[GIT_OID_HEXSZ + 1];
          git_oid_tostr(hex, sizeof hex, &f.oid);
          each(f.path, hex);
        });
      });
}

}  // namespace fanout
