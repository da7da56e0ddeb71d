#include "snapshot/run_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "git/source_state.h"
#include "plan/plan.h"
#include "snapshot/snapshot.h"
#include "snapshot/stamps.h"

namespace fanout {

namespace {

bool PathExists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
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

  Status Write(const std::string& build_dir, const StampIndex& index,
               const std::string& depfile_prefix) const {
    FANOUT_TRY(WriteFileIfChanged(build_dir + "/" + layout::kSource, SourceStateToJson(state)));
    FANOUT_TRY(WriteStamps(build_dir, index, digests, &present));
    std::vector<std::string> deps;
    AddSourceFilesRead(repo, state.source, &deps);
    return WriteSnapshotDepfile(build_dir, std::move(deps), depfile_prefix);
  }
};

}  // namespace

Status RunSnapshot(const std::string& build_dir, const std::string& depfile_prefix) {
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
    if (unchanged && index.plan() == plan_digest)
      return unchanged->Write(build_dir, index, depfile_prefix);

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
    fmt::print(stderr, "{}", DirtySubmoduleWarnings(snap->state));
    FANOUT_TRY(WriteSnapshot(build_dir, *plan, index, *snap, plan_digest));
    return WriteSnapshotDepfile(build_dir, std::move(snap->files_read), depfile_prefix);
  }();
  if (st.ok() && rename(pending.c_str(), stamp.c_str()) != 0) {
    st = MakeError(fmt::format("cannot rename '{}': {}", pending, std::strerror(errno)));
  }
  if (!st.ok()) unlink(pending.c_str());
  return st;
}

}  // namespace fanout
