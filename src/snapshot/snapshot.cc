#include "snapshot/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/glob.h"
#include "base/sort_by_name.h"
#include "base/unique_fd.h"
#include "git/source_state.h"
#include "plan/depfile.h"

namespace fanout {

namespace {

/// Names how input digests are computed; stamps.index records it with the tree, so a change
/// here is never mixed with digests computed the old way.
constexpr const char* kInputDigestVersion = "fanout-input-digest-v1";

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool PathExists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

/// Adds `dir` and each of its ancestors (relative paths, "" is the root) to `dirs`.
void AddDirAndAncestors(std::string dir, std::set<std::string>* dirs) {
  for (;;) {
    if (!dirs->insert(dir).second) return;
    if (dir.empty()) return;
    size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
}

/// Adds what resolving the plan's source reads to `files`, for the snapshot edge's depfile:
/// the refs its revision (HEAD for a work tree) depends on, and the index.
void AddSourceFilesRead(const Repository& repo, const std::string& source,
                        std::vector<std::string>* files) {
  repo.AddRevisionFiles(source == "worktree" ? "HEAD" : source, files);
  const std::string index = repo.gitdir() + "index";
  if (PathExists(index)) files->push_back(index);
}

/// Indices of `files` (sorted by path) that lie at or under `prefix`.
template <class Fn>
void ForEachUnder(const std::vector<TreeFile>& files, const std::string& prefix, Fn fn) {
  auto by_path = [](const TreeFile& f, const std::string& p) { return f.path < p; };
  if (prefix.empty()) {
    for (size_t i = 0; i < files.size(); ++i) fn(i);
    return;
  }
  // The path itself, then "prefix/" .. "prefix0" ('0' sorts right after '/'): every path
  // from the first at or after `prefix` that starts with it and goes on with '/'.
  auto it = std::lower_bound(files.begin(), files.end(), prefix, by_path);
  if (it != files.end() && it->path == prefix) fn(it++ - files.begin());
  auto under = [&](const std::string& path) {
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0;
  };
  // Paths that start with `prefix` and go on with a byte below '/' sort before the ones
  // under it ("a-b" and "a.b" before "a/"): skip them.
  while (it != files.end() && under(it->path) && it->path[prefix.size()] < '/') ++it;
  for (; it != files.end() && under(it->path) && it->path[prefix.size()] == '/'; ++it) {
    fn(it - files.begin());
  }
}

}  // namespace

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

namespace {

/// The patterns that select `t`'s inputs: its own, then the global ones.
const std::vector<std::string>& InputPatterns(const Target& t,
                                              const std::vector<std::string>& global_inputs,
                                              std::vector<std::string>* scratch) {
  if (global_inputs.empty()) return t.inputs;
  *scratch = t.inputs;
  scratch->insert(scratch->end(), global_inputs.begin(), global_inputs.end());
  return *scratch;
}

/// Adds the subtrees that hold `t`'s inputs (matched by `filter`) to `prefixes`: each include
/// pattern's walk root ("" for one that starts with a wildcard, the whole tree), and the whole
/// tree for a full checkout, which sees all of it.
void AddInputPrefixes(const Target& t, const PathFilter& filter,
                      std::vector<std::string>* prefixes) {
  for (const Glob& g : filter.includes()) prefixes->push_back(g.walk_root());
  if (t.checkout == Checkout::kFull) prefixes->push_back("");
}

void SortUnique(std::vector<std::string>* v) {
  // Plans list targets by name, so prefixes usually come sorted already.
  if (!std::is_sorted(v->begin(), v->end())) std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

CompiledInputs CompileInputs(const std::vector<Target>& targets,
                             const std::vector<std::string>& global_inputs) {
  CompiledInputs out;
  out.targets.reserve(targets.size());
  std::vector<std::string> scratch;
  for (const Target& t : targets) {
    auto filter = PathFilter::Compile(InputPatterns(t, global_inputs, &scratch));
    if (!filter.ok()) {
      out.prefixes.push_back("");  // validation reports the pattern; meanwhile, list everything
      continue;
    }
    AddInputPrefixes(t, *filter, &out.prefixes);
    out.targets.push_back({t.name, std::move(*filter)});
  }
  SortByName(out.targets);
  SortUnique(&out.prefixes);
  return out;
}

const PathFilter* CompiledInputs::Find(std::string_view name) const {
  auto it = std::lower_bound(targets.begin(), targets.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  return it != targets.end() && it->name == name ? &it->filter : nullptr;
}

Expected<std::vector<TreeFile>> ListTreeUnder(const Repository& repo, const git_oid& tree,
                                              const std::vector<std::string>& prefixes) {
  std::vector<TreeFile> files;
  FANOUT_TRY(repo.WalkTreeUnder(tree, prefixes, [&](const TreeFile& f) { files.push_back(f); }));
  // The walk is depth-first in git's tree order, which is the byte order of the full paths
  // (a directory sorts as its name plus '/'), so this sort is a check.
  auto by_path = [](const TreeFile& a, const TreeFile& b) { return a.path < b.path; };
  if (!std::is_sorted(files.begin(), files.end(), by_path)) {
    std::sort(files.begin(), files.end(), by_path);
  }
  return files;
}

Expected<SnapshotResult> ComputeSnapshot(const Repository& repo, const Plan& plan,
                                         const SnapshotOptions& options) {
  const StampIndex* previous = options.previous;
  const SourceState* resolved = options.resolved;
  SnapshotResult result;
  if (resolved) {
    result.state = *resolved;
  } else {
    auto state =
        ResolveSource(repo, plan.source, "--source", BuildDirExclusion(repo, plan.build_dir));
    if (!state.ok()) return state.error();
    result.state = std::move(*state);
  }
  git_oid tree = *ParseOid(result.state.tree);

  // Digests that cannot have changed: same tree, same definition.
  std::vector<const StampIndex::Entry*> reuse(plan.targets.size(), nullptr);
  std::size_t reused = 0;
  if (previous && plan.source != "worktree" && previous->tree() == result.state.tree) {
    for (size_t ti = 0; ti < plan.targets.size(); ++ti) {
      const StampIndex::Entry* e = previous->Find(plan.targets[ti].def.name);
      if (e && !e->definition.empty() && e->definition == plan.targets[ti].definition_digest) {
        reuse[ti] = e;
        ++reused;
      }
    }
  }

  // Compile every other target's filter and collect the subtrees to walk.
  std::vector<PathFilter> compiled(plan.targets.size());
  std::vector<const PathFilter*> filters(plan.targets.size(), nullptr);
  std::vector<std::string> prefixes;
  std::vector<std::string> scratch;
  for (size_t ti = 0; ti < plan.targets.size(); ++ti) {
    if (reuse[ti]) continue;
    const PlanTarget& t = plan.targets[ti];
    if (options.compiled) filters[ti] = options.compiled->Find(t.def.name);
    if (!filters[ti]) {
      auto filter = PathFilter::Compile(InputPatterns(t.def, plan.global_inputs, &scratch));
      if (!filter.ok()) {
        return MakeError(fmt::format("target '{}': bad input pattern: {}; run 'fanout check'",
                                     t.def.name, filter.error().message));
      }
      compiled[ti] = std::move(*filter);
      filters[ti] = &compiled[ti];
    }
    AddInputPrefixes(t.def, *filters[ti], &prefixes);
  }
  SortUnique(&prefixes);
  std::vector<TreeFile> walked;
  if (reused < plan.targets.size() && !options.listed) {
    auto listed = ListTreeUnder(repo, tree, prefixes);
    if (!listed.ok()) return listed.error();
    walked = std::move(*listed);
  }
  const std::vector<TreeFile>& files = options.listed ? *options.listed : walked;

  std::vector<bool> read(files.size(), false);
  std::vector<size_t> matched;
  result.digests.reserve(plan.targets.size());
  for (size_t ti = 0; ti < plan.targets.size(); ++ti) {
    const PlanTarget& t = plan.targets[ti];
    if (reuse[ti]) {
      result.digests.push_back({t.def.name, std::string(reuse[ti]->digest), t.definition_digest});
      continue;
    }
    Sha256 h;
    h.UpdateField(kInputDigestVersion);
    h.UpdateField(t.definition_digest);
    if (t.def.checkout == Checkout::kFull) {
      h.UpdateField(result.state.tree);
    }
    matched.clear();
    for (const Glob& g : filters[ti]->includes()) {
      ForEachUnder(files, g.walk_root(), [&](size_t i) {
        if (filters[ti]->Matches(files[i].path)) matched.push_back(i);
      });
    }
    std::sort(matched.begin(), matched.end());
    matched.erase(std::unique(matched.begin(), matched.end()), matched.end());
    for (size_t i : matched) {
      read[i] = true;
      h.UpdateField(files[i].path);
      char mode[12];
      h.UpdateField(
          {mode, static_cast<size_t>(std::to_chars(mode, mode + sizeof mode,
                                                   static_cast<unsigned>(files[i].mode), 8)
                                         .ptr -
                                     mode)});
      char oid[GIT_OID_HEXSZ];
      git_oid_fmt(oid, &files[i].oid);
      h.UpdateField({oid, sizeof oid});
    }
    result.digests.push_back({t.def.name, h.HexDigest(), t.definition_digest});
  }
  // Plans list targets by name; the index is written (and searched) in that order.
  if (!std::is_sorted(result.digests.begin(), result.digests.end())) {
    std::sort(result.digests.begin(), result.digests.end());
  }

  // What Ninja must watch to know when to rerun this step.
  AddSourceFilesRead(repo, plan.source, &result.files_read);
  if (plan.source == "worktree") {
    std::string workdir = repo.workdir();  // ends with '/'
    std::set<std::string> dirs;
    bool any_full = false;
    for (const PlanTarget& t : plan.targets) any_full |= t.def.checkout == Checkout::kFull;
    for (size_t i = 0; i < files.size(); ++i) {
      if (!read[i] && !any_full) continue;
      result.files_read.push_back(workdir + files[i].path);
      size_t slash = files[i].path.rfind('/');
      AddDirAndAncestors(slash == std::string::npos ? "" : files[i].path.substr(0, slash), &dirs);
    }
    // Where a new file could appear: each pattern's walk root, or its nearest ancestor.
    for (const std::string& p : prefixes) {
      std::string d = p;
      while (!d.empty() && !IsDir(workdir + d)) {
        size_t slash = d.rfind('/');
        d = slash == std::string::npos ? "" : d.substr(0, slash);
      }
      AddDirAndAncestors(d, &dirs);
    }
    for (const std::string& d : dirs) {
      std::string full = d.empty() ? workdir.substr(0, workdir.size() - 1) : workdir + d;
      result.files_read.push_back(full);
    }
  }
  return result;
}

namespace {

/// Makes the stamp `name` in the directory `dir` (whose path is `dir_path`) hold `content`,
/// leaving it untouched (and its mtime old) when it already does. A large build creates
/// thousands of stamps at once, so a new one is written in place (one open, write and close)
/// rather than through a temporary file: Ninja reads only its mtime, and a stamp torn by a
/// crash differs from its digest, so the next snapshot (which reruns, since its own stamp is
/// renamed into place last) rewrites it. An existing stamp is replaced atomically.
Status UpdateStamp(int dir, const std::string& dir_path, const std::string& name,
                   std::string_view content) {
  const std::string path = dir_path + "/" + name;
  {
    UniqueFd old(openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (old) {
      char buf[256];
      ssize_t n = read(old.get(), buf, sizeof buf);
      if (n == static_cast<ssize_t>(content.size()) && std::memcmp(buf, content.data(), n) == 0) {
        return {};
      }
      return WriteFileAtomically(path, content);
    }
    if (errno != ENOENT) {
      return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
  }
  UniqueFd fd(openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return MakeError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  if (const int err = WriteAllToFd(fd.get(), content)) {
    unlinkat(dir, name.c_str(), 0);
    return MakeError(fmt::format("cannot write '{}': {}", path, std::strerror(err)));
  }
  return {};
}

/// One target's digests, as WriteStamps takes them.
struct DigestView {
  std::string_view name, digest, definition;
};

/// Which of `digests` (sorted by name) have a stamp file ("NAME.stamp") in directory `dir_fd`:
/// one pass over the directory, each entry found by binary search.
std::vector<bool> StampsPresent(int dir_fd, const std::vector<DigestView>& digests) {
  std::vector<bool> present(digests.size(), false);
  const int fd = dup(dir_fd);
  DIR* d = fd < 0 ? nullptr : fdopendir(fd);
  if (!d) {
    if (fd >= 0) close(fd);
    return present;
  }
  constexpr std::string_view kSuffix = ".stamp";
  auto by_name = [](const DigestView& v, std::string_view name) { return v.name < name; };
  while (const dirent* e = readdir(d)) {
    std::string_view name(e->d_name);
    if (!name.ends_with(kSuffix)) continue;
    name.remove_suffix(kSuffix.size());
    auto it = std::lower_bound(digests.begin(), digests.end(), name, by_name);
    if (it != digests.end() && it->name == name) present[it - digests.begin()] = true;
  }
  closedir(d);
  return present;
}

/// Which of `digests` (sorted by name) have a stamp file in `build_dir`'s stamps directory.
std::vector<bool> StampsPresent(const std::string& build_dir,
                                const std::vector<DigestView>& digests) {
  const std::string stamps = build_dir + "/" + layout::kStampsDir;
  UniqueFd dir(open(stamps.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return dir ? StampsPresent(dir.get(), digests) : std::vector<bool>(digests.size(), false);
}

/// Brings every input stamp to its digest. Stamps that `index` says already hold it, and that
/// still exist, are not opened. `present`, when given, is StampsPresent() as already found.
Status WriteStamps(const std::string& build_dir, const StampIndex& index,
                   const std::vector<DigestView>& digests,
                   const std::vector<bool>* present = nullptr) {
  const std::string stamps = build_dir + "/" + layout::kStampsDir;
  boost::system::error_code ec;
  boost::filesystem::create_directories(stamps, ec);
  UniqueFd dir(open(stamps.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return MakeError(fmt::format("cannot open '{}': {}", stamps, std::strerror(errno)));
  std::vector<bool> found;
  if (!present) {
    found = StampsPresent(dir.get(), digests);
    present = &found;
  }
  std::string file;
  std::string content;
  for (std::size_t i = 0; i < digests.size(); ++i) {
    const DigestView& d = digests[i];
    if ((*present)[i]) {
      const StampIndex::Entry* known = index.Find(d.name);
      if (known && known->digest == d.digest) continue;
    }
    file.assign(d.name).append(".stamp");
    content.assign(d.digest).append("\n");
    FANOUT_TRY(UpdateStamp(dir.get(), stamps, file, content));
  }
  return {};
}

/// stamps.index text for `digests` (sorted by name), computed from `tree` for the plan whose
/// digest is `plan_digest`; the plan's repository and source are recorded when a line can
/// hold them.
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

/// Writes the snapshot step's depfile: what it read, and the plan.
Status WriteSnapshotDepfile(const std::string& build_dir, std::vector<std::string> deps) {
  deps.push_back(layout::kPlan);  // as the build file names it (the gather's input)
  std::vector<std::string> left_out;
  std::string depfile = WriteDepfile(layout::kSnapshotStamp, deps, &left_out);
  if (!left_out.empty()) {
    fmt::print(stderr,
               "fanout: warning: {} input path(s) cannot be named in a Ninja depfile (such as "
               "'{}'); editing them will not rerun the snapshot until something else changes\n",
               left_out.size(), left_out.front());
  }
  return WriteFileAtomically(build_dir + "/" + layout::kSnapshotDepfile, depfile);
}

/// The snapshot when stamps.index was made for this very plan (the same plan.json text) and its
/// revision source still resolves to the index's tree, as after `fanout gen --source REV`:
/// every digest is the index's, so the plan is not parsed and no tree is walked; only missing
/// stamps are written. Prepared (read-only) before the plan's digest is known.
struct UnchangedSnapshot {
  Repository repo;
  SourceState state;
  std::vector<DigestView> digests;
  std::vector<bool> present;

  /// The candidate, or nullopt when the index cannot be taken whatever the plan's digest. A
  /// repository or revision that no longer resolves only means no candidate: the index may
  /// belong to an older plan, and the full snapshot reports what is wrong with this one.
  static std::optional<UnchangedSnapshot> Prepare(const std::string& build_dir,
                                                  const StampIndex& index) {
    // A work tree source's depfile names every matched file: that needs the walk.
    if (index.plan().empty() || index.tree().empty() || index.repo().empty() ||
        index.source().empty() || index.source() == "worktree") {
      return std::nullopt;
    }
    auto repo = Repository::Open(std::string(index.repo()));
    if (!repo.ok()) return std::nullopt;
    auto state = ResolveSource(*repo, std::string(index.source()), "--source");
    if (!state.ok() || state->tree != index.tree()) return std::nullopt;
    std::vector<DigestView> digests;
    digests.reserve(index.entries().size());
    for (const StampIndex::Entry& e : index.entries()) {
      digests.push_back({e.name, e.digest, e.definition});
    }
    std::vector<bool> present = StampsPresent(build_dir, digests);
    return UnchangedSnapshot{std::move(*repo), std::move(*state), std::move(digests),
                             std::move(present)};
  }

  Status Write(const std::string& build_dir, const StampIndex& index) const {
    FANOUT_TRY(WriteFileIfChanged(build_dir + "/" + layout::kSource, SourceStateToJson(state)));
    FANOUT_TRY(WriteStamps(build_dir, index, digests, &present));
    std::vector<std::string> deps;
    AddSourceFilesRead(repo, state.source, &deps);
    return WriteSnapshotDepfile(build_dir, std::move(deps));
  }
};

}  // namespace

std::string PlanDigest(std::string_view plan_text) {
  Sha256 h;
  h.Update(plan_text);
  return h.HexDigest();
}

Status WriteSnapshot(const std::string& build_dir, const Plan& plan, const StampIndex& previous,
                     const SnapshotResult& snap, std::string_view plan_digest) {
  FANOUT_TRY(WriteFileIfChanged(build_dir + "/" + layout::kSource, SourceStateToJson(snap.state)));
  std::vector<DigestView> digests;
  digests.reserve(snap.digests.size());
  for (const TargetDigest& d : snap.digests) digests.push_back({d.name, d.digest, d.definition});
  FANOUT_TRY(WriteStamps(build_dir, previous, digests));
  // After the stamps: an index never names a digest its stamp does not hold.
  return WriteFileIfChanged(
      build_dir + "/" + layout::kStampIndex,
      StampIndexText(snap.state.tree, plan_digest, plan.repo_root, plan.source, digests));
}

BackgroundSnapshot::BackgroundSnapshot(std::string repo_root, std::string build_dir,
                                       SourceState revision, CompiledInputs inputs)
    : repo_root_(std::move(repo_root)),
      build_dir_(std::move(build_dir)),
      revision_(std::move(revision)),
      inputs_(std::move(inputs)) {
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error&) {
    // No thread to be had: Finish does the same work, in turn.
  }
}

BackgroundSnapshot::~BackgroundSnapshot() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    abandoned_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundSnapshot::SetPlan(const Plan* plan) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    plan_ = plan;
  }
  cv_.notify_all();
}

void BackgroundSnapshot::SetPlanDigest(std::string plan_digest) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    plan_digest_ = std::move(plan_digest);
  }
  cv_.notify_all();
}

template <class Pred>
bool BackgroundSnapshot::WaitFor(Pred ready) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ready() || abandoned_; });
  return !abandoned_;
}

void BackgroundSnapshot::Run() {
  Prepare();
  if (!WaitFor([this] { return plan_ != nullptr; })) return;
  Compute();
  if (!WaitFor([this] { return plan_digest_.has_value(); })) return;
  Write();
}

void BackgroundSnapshot::Prepare() {
  repo_ = Repository::Open(repo_root_);
  previous_.emplace(StampIndex::Read(build_dir_));
  if (!repo_->ok() || previous_->tree() == revision_.tree) return;
  listed_ = ListTreeUnder(**repo_, *ParseOid(revision_.tree), inputs_.prefixes);
}

void BackgroundSnapshot::Compute() {
  if (!repo_->ok()) {
    result_ = repo_->error();
  } else if (listed_ && !listed_->ok()) {
    result_ = listed_->error();
  } else {
    SnapshotOptions options;
    options.previous = &*previous_;
    options.resolved = &revision_;
    options.compiled = &inputs_;
    if (listed_) options.listed = &**listed_;
    result_ = ComputeSnapshot(**repo_, *plan_, options);
  }
}

void BackgroundSnapshot::Write() {
  if (!result_->ok()) return;
  written_ = WriteSnapshot(build_dir_, *plan_, *previous_, **result_, *plan_digest_);
}

Status BackgroundSnapshot::Finish() {
  if (thread_.joinable()) {
    thread_.join();
  } else if (!result_ && plan_ && plan_digest_) {
    Prepare();
    Compute();
    Write();
  }
  if (!result_) return MakeError("the input snapshot was not taken; run 'fanout gen' again");
  if (!result_->ok()) return result_->error();
  return written_;
}

Status RunSnapshot(const std::string& build_dir) {
  const std::string plan_path = build_dir + "/" + layout::kPlan;
  if (!PathExists(plan_path)) {
    return MakeError(fmt::format("cannot read '{}': {}; run 'fanout gen -B {}' first", plan_path,
                                 std::strerror(ENOENT), build_dir));
  }
  // The step's own stamp takes its mtime now, before anything is read or written, and is
  // renamed into place only at the end: a file edited while we run is newer than it (so the
  // next build snapshots again), every input stamp we rewrite is at least as new (so the
  // restat edge that owns them stays clean), and a failed run leaves no fresh stamp.
  const std::string stamp = build_dir + "/" + layout::kSnapshotStamp;
  const std::string pending = stamp + ".pending";
  FANOUT_TRY(WriteFileAtomically(pending, ""));
  Status st = [&]() -> Status {
    // plan.json is read and hashed on a second thread while the index is read, the source
    // resolved and the stamps listed: all that the usual run after `fanout gen --source REV`
    // needs besides the plan's digest.
    std::optional<Expected<std::string>> plan_text;
    std::string plan_digest;
    auto read_plan = [&] {
      plan_text = ReadFile(plan_path);
      if (plan_text->ok()) plan_digest = PlanDigest(**plan_text);
    };
    std::thread reader;
    try {
      reader = std::thread(read_plan);
    } catch (const std::system_error&) {
      read_plan();  // no thread to be had: the same work, in turn
    }
    const StampIndex index = StampIndex::Read(build_dir);
    const std::optional<UnchangedSnapshot> unchanged = UnchangedSnapshot::Prepare(build_dir, index);
    if (reader.joinable()) reader.join();
    if (!plan_text->ok()) {
      return MakeError(
          fmt::format("{}; run 'fanout gen -B {}' first", plan_text->error().message, build_dir));
    }
    if (unchanged && index.plan() == plan_digest) return unchanged->Write(build_dir, index);

    auto plan = PlanFromJson(**plan_text, plan_path);
    if (!plan.ok()) return plan.error();
    // A work tree's snapshot objects go to the build directory's store, where the edges read
    // them; the repository is never written.
    auto repo = Repository::Open(plan->repo_root, layout::ObjectStorePath(build_dir));
    if (!repo.ok()) return repo.error();
    SnapshotOptions options;
    options.previous = &index;
    auto snap = ComputeSnapshot(*repo, *plan, options);
    if (!snap.ok()) return snap.error();
    FANOUT_TRY(WriteSnapshot(build_dir, *plan, index, *snap, plan_digest));
    return WriteSnapshotDepfile(build_dir, std::move(snap->files_read));
  }();
  if (st.ok() && rename(pending.c_str(), stamp.c_str()) != 0) {
    st = MakeError(fmt::format("cannot rename '{}': {}", pending, std::strerror(errno)));
  }
  if (!st.ok()) unlink(pending.c_str());
  return st;
}

}  // namespace fanout
