#include "sandbox/materialize.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/glob.h"
#include "base/unique_fd.h"
#include "git/tree_reader.h"

namespace fanout::sandbox {

namespace {

bool IsUnder(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir ||
         (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
          path[dir.size()] == '/');
}

Status MakeDirs(const std::string& dir, const std::vector<TreeFile>& files) {
  // Every parent directory once, shortest first, so each mkdir's parent already exists.
  std::set<std::string> dirs;
  for (const TreeFile& f : files) {
    for (size_t slash = f.path.find('/'); slash != std::string::npos;
         slash = f.path.find('/', slash + 1)) {
      dirs.insert(f.path.substr(0, slash));
    }
    if (f.mode == GIT_FILEMODE_COMMIT) dirs.insert(f.path);
  }
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return MakeError(fmt::format("cannot create '{}': {}", dir, std::strerror(errno)));
  }
  for (const std::string& d : dirs) {  // std::set order puts "a" before "a/b"
    std::string full = dir + "/" + d;
    if (mkdir(full.c_str(), 0755) != 0 && errno != EEXIST) {
      return MakeError(fmt::format("cannot create '{}': {}", full, std::strerror(errno)));
    }
  }
  return {};
}

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  if (const int err = WriteAllToFd(fd, std::string_view(data, size))) {
    return MakeError(fmt::format("cannot write '{}': {}", path, std::strerror(err)));
  }
  return {};
}

Status WriteOne(const Repository& repo, const TreeFile& f, const std::string& dir,
                mode_t umask_bits, WriteStats* stats) {
  std::string full = dir + "/" + f.path;
  if (f.mode == GIT_FILEMODE_COMMIT) return {};  // a submodule: an empty directory, like git
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo.get(), &f.oid) != 0) {
    return GitError(
        fmt::format("cannot materialize '{}': blob {} is missing from the repository (a partial or "
                    "shallow clone?); fetch it with 'git fetch' or build from a complete clone",
                    f.path, OidToString(f.oid)));
  }
  BlobPtr blob(raw);
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  const size_t size = static_cast<size_t>(git_blob_rawsize(blob.get()));
  stats->files++;
  stats->bytes += size;
  if (f.mode == GIT_FILEMODE_LINK) {
    std::string target(data, size);
    if (symlink(target.c_str(), full.c_str()) != 0) {
      return MakeError(fmt::format("cannot create symlink '{}': {}", full, std::strerror(errno)));
    }
    return {};
  }
  const mode_t mode = f.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
  UniqueFd fd(open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return MakeError(fmt::format("cannot create '{}': {}", full, std::strerror(errno)));
  FANOUT_TRY(WriteAll(fd.get(), data, size, full));
  // A restrictive umask must not change what git says the mode is.
  if ((mode & umask_bits) != 0 && fchmod(fd.get(), mode) != 0) {
    return MakeError(fmt::format("cannot chmod '{}': {}", full, std::strerror(errno)));
  }
  return {};
}

}  // namespace

Expected<std::vector<TreeFile>> SelectFiles(const Repository& repo, const git_oid& tree,
                                            const InputSelection& selection) {
  std::vector<TreeFile> out;
  if (selection.full) {
    FANOUT_TRY(repo.WalkTree(tree, "", [&](const TreeFile& f) { out.push_back(f); }));
    return out;
  }
  // An image target's .dockerignore is read from the tree its files come from.
  const TreeFileReader read = TreeReader(repo, tree);
  auto inputs = PathFilter::Compile(selection.inputs, read);
  if (!inputs.ok()) return MakeError("bad input pattern: " + inputs.error().message);
  auto globals = PathFilter::Compile(selection.global_inputs);
  if (!globals.ok()) return MakeError("bad global input pattern: " + globals.error().message);

  // The smallest set of subtrees that covers every include.
  std::vector<std::string> roots;
  for (const PathFilter* f : {&*inputs, &*globals}) {
    for (const Glob& g : f->includes()) roots.push_back(g.walk_root());
  }
  std::sort(roots.begin(), roots.end());
  std::vector<std::string> walk;
  for (const std::string& r : roots) {
    if (!walk.empty() && IsUnder(r, walk.back())) continue;
    walk.push_back(r);
  }
  // The roots are disjoint, so no file is visited twice.
  for (const std::string& root : walk) {
    FANOUT_TRY(repo.WalkTree(tree, root, [&](const TreeFile& f) {
      if (!inputs->Matches(f.path) && !globals->Matches(f.path)) return;
      out.push_back(f);
    }));
  }
  return out;
}

int DefaultWriterThreads(std::size_t file_count) {
  // Opening a repository and starting a thread cost about as much as writing a few dozen
  // small files; below that one thread wins (and the processor count, a file read, is not
  // asked for).
  const size_t useful = std::max<size_t>(1, file_count / 64);
  if (useful == 1) return 1;
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min<size_t>({hw, 8, useful}));
}

Expected<WriteStats> WriteFiles(const RepoLocation& repo_path, const std::vector<TreeFile>& files,
                                const std::string& dir, int threads, const Repository* opened) {
  FANOUT_TRY(MakeDirs(dir, files));
  const mode_t umask_bits = umask(022);
  umask(umask_bits);

  threads = std::max(1, std::min<int>(threads, static_cast<int>(files.size())));
  std::mutex mu;
  std::optional<Error> first_error;
  std::atomic<bool> failed{false};
  std::vector<WriteStats> stats(static_cast<size_t>(threads));
  // Each thread takes one contiguous run of the (path-ordered) files, so threads mostly
  // create files in different directories: creations in one directory serialize on its lock.
  auto write_run = [&](int index, const Repository& repo) -> Status {
    const size_t begin = files.size() * static_cast<size_t>(index) / static_cast<size_t>(threads);
    const size_t end =
        files.size() * (static_cast<size_t>(index) + 1) / static_cast<size_t>(threads);
    for (size_t i = begin; i < end && !failed.load(); ++i) {
      FANOUT_TRY(WriteOne(repo, files[i], dir, umask_bits, &stats[static_cast<size_t>(index)]));
    }
    return {};
  };
  auto record = [&](const Status& st) {
    if (st.ok()) return;
    std::lock_guard<std::mutex> lock(mu);
    if (!first_error) first_error = st.error();
    failed = true;
  };
  // A repository is not shared between threads: each other thread opens its own.
  auto write_run_with_own_repository = [&](int index) {
    auto repo = Repository::Open(repo_path);
    record(repo.ok() ? write_run(index, *repo) : Status(repo.error()));
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(write_run_with_own_repository, i);
  if (opened) {
    record(write_run(0, *opened));
  } else {
    write_run_with_own_repository(0);
  }
  for (std::thread& t : pool) t.join();
  if (first_error) return *first_error;
  WriteStats total;
  for (const WriteStats& s : stats) {
    total.files += s.files;
    total.bytes += s.bytes;
  }
  return total;
}

}  // namespace fanout::sandbox
