#include "git/object_store.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/file_util.h"
#include "git/git.h"

namespace fanout {
namespace {

// Priorities (higher is asked first, and the first writable backend takes writes): the store
// fanout writes to, then the repository's loose objects and packs, then its alternates.
constexpr int kStorePriority = 4;
constexpr int kLoosePriority = 3;
constexpr int kPackPriority = 2;
constexpr int kAlternatePriority = 1;

/// A backend that forwards every read to `inner` and offers no write: git_odb_write and the
/// blob and tree writers then skip it, and asking whether an object exists (which is what
/// libgit2 does in place of freshening, for a backend without `freshen`) changes nothing on
/// disk. This is libgit2's public interface for custom backends (git2/sys/odb_backend.h).
struct ReadOnlyBackend {
  git_odb_backend parent;  // first: libgit2 hands back &parent
  git_odb_backend* inner;
};

git_odb_backend* Inner(git_odb_backend* b) { return reinterpret_cast<ReadOnlyBackend*>(b)->inner; }

int Read(void** data, size_t* len, git_object_t* type, git_odb_backend* b, const git_oid* id) {
  return Inner(b)->read(data, len, type, Inner(b), id);
}
int ReadPrefix(git_oid* out, void** data, size_t* len, git_object_t* type, git_odb_backend* b,
               const git_oid* prefix, size_t n) {
  return Inner(b)->read_prefix(out, data, len, type, Inner(b), prefix, n);
}
int ReadHeader(size_t* len, git_object_t* type, git_odb_backend* b, const git_oid* id) {
  return Inner(b)->read_header(len, type, Inner(b), id);
}
int Exists(git_odb_backend* b, const git_oid* id) { return Inner(b)->exists(Inner(b), id); }
int ExistsPrefix(git_oid* out, git_odb_backend* b, const git_oid* prefix, size_t n) {
  return Inner(b)->exists_prefix(out, Inner(b), prefix, n);
}
int Refresh(git_odb_backend* b) { return Inner(b)->refresh(Inner(b)); }
int Foreach(git_odb_backend* b, git_odb_foreach_cb cb, void* payload) {
  return Inner(b)->foreach (Inner(b), cb, payload);
}
void Free(git_odb_backend* b) {
  auto* self = reinterpret_cast<ReadOnlyBackend*>(b);
  self->inner->free(self->inner);
  delete self;
}

/// Wraps `inner` (owned from here on) read-only.
git_odb_backend* ReadOnly(git_odb_backend* inner) {
  auto* self = new ReadOnlyBackend{};
  git_odb_init_backend(&self->parent, GIT_ODB_BACKEND_VERSION);
  self->inner = inner;
  if (inner->read) self->parent.read = Read;
  if (inner->read_prefix) self->parent.read_prefix = ReadPrefix;
  if (inner->read_header) self->parent.read_header = ReadHeader;
  if (inner->exists) self->parent.exists = Exists;
  if (inner->exists_prefix) self->parent.exists_prefix = ExistsPrefix;
  if (inner->refresh) self->parent.refresh = Refresh;
  if (inner->foreach) self->parent.foreach = Foreach;
  self->parent.free = Free;
  return &self->parent;
}

/// Adds `objects_dir`'s loose objects and packs to `odb`, read-only.
Status AddReadOnly(git_odb* odb, const std::string& objects_dir, int loose_priority,
                   int pack_priority, bool alternate) {
  git_odb_backend* loose = nullptr;
  git_odb_backend* pack = nullptr;
  if (git_odb_backend_loose(&loose, objects_dir.c_str(), -1, 0, 0, 0) != 0) {
    return GitError(fmt::format("cannot read the objects in '{}'", objects_dir));
  }
  auto add = alternate ? git_odb_add_alternate : git_odb_add_backend;
  git_odb_backend* wrapped = ReadOnly(loose);
  if (add(odb, wrapped, loose_priority) != 0) {
    wrapped->free(wrapped);
    return GitError(fmt::format("cannot read the objects in '{}'", objects_dir));
  }
  if (git_odb_backend_pack(&pack, objects_dir.c_str()) != 0) {
    return GitError(fmt::format("cannot read the packs in '{}'", objects_dir));
  }
  wrapped = ReadOnly(pack);
  if (add(odb, wrapped, pack_priority) != 0) {
    wrapped->free(wrapped);
    return GitError(fmt::format("cannot read the packs in '{}'", objects_dir));
  }
  return {};
}

/// The directories `objects_dir/info/alternates` names (git's format: one per line, relative
/// ones relative to `objects_dir`, '#' comments). Only the first level: an alternate's own
/// alternates are not followed.
std::vector<std::string> Alternates(const std::string& objects_dir) {
  std::vector<std::string> out;
  auto text = ReadFile(objects_dir + "/info/alternates");
  if (!text.ok()) return out;
  std::size_t start = 0;
  while (start < text->size()) {
    std::size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line[0] == '/' ? line : objects_dir + "/" + line);
  }
  return out;
}

}  // namespace

Status IsolateObjectDatabase(git_repository* repo, const std::string& store_dir) {
  git_buf objects{};
  if (git_repository_item_path(&objects, repo, GIT_REPOSITORY_ITEM_OBJECTS) != 0) {
    return GitError("cannot find the repository's objects");
  }
  std::string objects_dir(objects.ptr, objects.size);
  git_buf_dispose(&objects);
  while (objects_dir.size() > 1 && objects_dir.back() == '/') objects_dir.pop_back();

  git_odb* raw = nullptr;
  if (git_odb_new(&raw) != 0) return GitError("cannot create an object database");
  OdbPtr odb(raw);

  git_odb_backend* store = nullptr;
  if (store_dir.empty()) {
    if (git_mempack_new(&store) != 0) return GitError("cannot create an in-memory object store");
  } else {
    boost::system::error_code ec;
    boost::filesystem::create_directories(store_dir, ec);
    if (ec) {
      return MakeError(
          fmt::format("cannot create the object store '{}': {}", store_dir, ec.message()));
    }
    if (git_odb_backend_loose(&store, store_dir.c_str(), -1, 0, 0, 0) != 0) {
      return GitError(fmt::format("cannot open the object store '{}'", store_dir));
    }
  }
  if (git_odb_add_backend(odb.get(), store, kStorePriority) != 0) {
    store->free(store);
    return GitError("cannot add fanout's object store");
  }
  FANOUT_TRY(AddReadOnly(odb.get(), objects_dir, kLoosePriority, kPackPriority, false));
  for (const std::string& alternate : Alternates(objects_dir)) {
    FANOUT_TRY(AddReadOnly(odb.get(), alternate, kAlternatePriority, kAlternatePriority, true));
  }
  if (git_repository_set_odb(repo, odb.get()) != 0) {
    return GitError("cannot set the repository's object database");
  }
  return {};
}

}  // namespace fanout
