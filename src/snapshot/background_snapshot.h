// A revision source's snapshot, taken by `fanout gen` on a thread of its own while gen goes
// on.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/expected.h"
#include "git/git.h"
#include "git/source.h"
#include "plan/plan.h"
#include "snapshot/inputs.h"
#include "snapshot/snapshot.h"
#include "snapshot/stamp_index.h"

namespace fanout {

/// A revision source's snapshot, taken by `fanout gen` on a thread of its own (with its own
/// repository handle) while gen goes on: the thread lists the tree under every target's input
/// prefixes at once, and computes the digests once it is given the plan. A revision's tree
/// cannot change before the build runs, so what it writes stays true; the snapshot edge then
/// finds stamps.index made for that plan and tree and takes it as it is.
class BackgroundSnapshot {
 public:
  /// Starts on `revision` (resolved in the repository at `repo_root`) for the build directory
  /// `build_dir`. The tree is listed under the prefixes of `inputs` (CompileInputs of every
  /// target that may be planned) unless stamps.index was made from that same tree: then most
  /// digests are reused, and only the targets whose definitions changed are listed, once the
  /// plan is known.
  BackgroundSnapshot(std::string repo_root, std::string build_dir, SourceState revision,
                     CompiledInputs inputs);
  /// Never leaves the thread running: one still waiting for the plan or its digest stops
  /// without writing; one already computing or writing finishes first.
  ~BackgroundSnapshot();
  BackgroundSnapshot(const BackgroundSnapshot&) = delete;
  BackgroundSnapshot& operator=(const BackgroundSnapshot&) = delete;

  /// Hands over the plan, for the digests; it must stay unchanged until Finish returns.
  void SetPlan(const Plan* plan);
  /// Hands over PlanDigest() of the plan's plan.json text, for stamps.index; the thread then
  /// writes the stamps and the index.
  void SetPlanDigest(std::string plan_digest);
  /// Waits for the thread; what it computed and wrote, or why not.
  Status Finish();

 private:
  void Run();
  void Prepare();  // opens the repository, reads the index, lists the tree
  void Compute();  // the digests, from the plan
  void Write();    // source.json, the stamps, the index
  /// Waits until `ready` (under mu_) or the snapshot is abandoned; false when abandoned.
  template <class Pred>
  bool WaitFor(Pred ready);

  const std::string repo_root_;
  const std::string build_dir_;
  const SourceState revision_;
  const CompiledInputs inputs_;
  std::optional<Expected<Repository>> repo_;
  std::optional<StampIndex> previous_;
  std::optional<Expected<std::vector<TreeFile>>> listed_;
  std::optional<Expected<SnapshotResult>> result_;

  std::mutex mu_;
  std::condition_variable cv_;
  const Plan* plan_ = nullptr;              // guarded by mu_
  std::optional<std::string> plan_digest_;  // guarded by mu_
  bool abandoned_ = false;                  // guarded by mu_
  Status written_;
  std::thread thread_;
};

}  // namespace fanout
