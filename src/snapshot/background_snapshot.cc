#include "snapshot/background_snapshot.h"

#include "snapshot/stamps.h"

namespace fanout {

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

}  // namespace fanout
