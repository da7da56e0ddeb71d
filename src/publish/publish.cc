#include "publish/publish.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/unique_fd.h"
#include "plan/plan.h"
#include "publish/push_plan.h"

namespace fanout::publish {
namespace {

namespace fs = boost::filesystem;

constexpr int kDefaultJobs = 4;
constexpr const char* kPublishPool = "publish";
constexpr const char* kPublishLock = ".fanout/publish.lock";

/// A scratch directory for skopeo, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fanout-publish.XXXXXX";
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~ScratchDir() {
    boost::system::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// What happened to one image.
struct PushOutcome {
  std::vector<records::PushedReference> references;
  Status status;
};

/// One reference: left alone when the registry has the image under it, else pushed. `ask`
/// false skips the question when the answer is known to be no.
Status PushReference(const RegistryAccess& access, const ImagePush& push,
                     const std::string& reference, bool ask,
                     std::vector<records::PushedReference>* done) {
  if (ask && RegistryHas(access, reference, push.digest)) {
    done->push_back({reference, push.digest, "present"});
    return {};
  }
  FANOUT_TRY(CopyToRegistry(access, push.layout, reference, push.digest));
  done->push_back({reference, push.digest, "pushed"});
  return {};
}

/// Each repository by digest first, so no tag ever names an image the registry lacks, then
/// each tag (blobs and manifest are there by then: only the tag is written).
PushOutcome PushImage(const RegistryAccess& access, const ImagePush& push) {
  PushOutcome outcome;
  // Repositories that lacked the image by digest: no tag there can name it yet.
  std::vector<std::string> lacked;
  for (const std::string& repository : push.repositories) {
    outcome.status =
        PushReference(access, push, repository + "@" + push.digest, true, &outcome.references);
    if (!outcome.status.ok()) return outcome;
    if (outcome.references.back().state == "pushed") lacked.push_back(repository);
  }
  for (const ImageReference& tag : push.tags) {
    const bool ask = std::find(lacked.begin(), lacked.end(), tag.repository) == lacked.end();
    outcome.status = PushReference(access, push, tag.Tagged(), ask, &outcome.references);
    if (!outcome.status.ok()) return outcome;
  }
  return outcome;
}

std::string Describe(const PushOutcome& outcome) {
  int pushed = 0, present = 0;
  for (const records::PushedReference& r : outcome.references) {
    (r.state == "pushed" ? pushed : present) += 1;
  }
  return fmt::format("{} pushed, {} already present", pushed, present);
}

}  // namespace

Expected<int> RunPublish(PublishOptions options) {
  boost::system::error_code ec;
  const fs::path resolved = fs::canonical(options.build_dir, ec);
  if (ec) {
    return MakeError(fmt::format("build directory '{}' does not exist; run 'fanout build' first",
                                 options.build_dir));
  }
  const std::string build_dir = resolved.string();
  const std::string manifest_path = build_dir + "/" + layout::kManifest;

  const std::string lock_path = build_dir + "/" + kPublishLock;
  UniqueFd lock(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock) {
    return MakeError(fmt::format("cannot open '{}': {}; is '{}' a fanout build directory?",
                                 lock_path, std::strerror(errno), build_dir),
                     kExitTargetFailed);
  }
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return MakeError(fmt::format("another 'fanout publish' is running in '{}' (it holds '{}'); "
                                 "wait for it to finish",
                                 build_dir, lock_path),
                     kExitTargetFailed);
  }

  auto manifest_text = ReadFile(manifest_path);
  if (!manifest_text.ok()) {
    return MakeError(fmt::format("{}; 'fanout build' writes it", manifest_text.error().message),
                     kExitTargetFailed);
  }
  auto manifest = records::ParseManifest(*manifest_text, manifest_path);
  if (!manifest.ok()) return MakeError(manifest.error().message, kExitTargetFailed);
  if (manifest->status != TargetStatus::kSucceeded && !options.allow_failed) {
    return MakeError(fmt::format("{} says the build {}: not publishing; fix the build, or pass "
                                 "--allow-failed to push the images that did build",
                                 manifest_path, StatusName(manifest->status)),
                     kExitTargetFailed);
  }
  std::vector<std::string> untagged;
  auto pushes = PlanPushes(*manifest, manifest_path, build_dir, &untagged);
  if (!pushes.ok()) return pushes.error();
  for (const ImagePush& push : *pushes) {
    if (!fs::is_directory(push.layout, ec)) {
      return MakeError(fmt::format("{}: the image of '{}' is not at '{}'; run 'fanout build' "
                                   "again to gather it",
                                   manifest_path, push.target, push.layout),
                       kExitTargetFailed);
    }
  }

  int jobs = options.jobs;
  if (jobs <= 0) {
    auto plan = ReadPlan(build_dir);
    if (!plan.ok()) return plan.error();
    const auto pool = plan->pools.find(kPublishPool);
    jobs = pool != plan->pools.end() ? pool->second : kDefaultJobs;
  }
  ScratchDir scratch;
  if (scratch.path().empty()) {
    return MakeError(fmt::format("cannot create a scratch directory: {}", std::strerror(errno)),
                     kExitTargetFailed);
  }
  options.access.tmpdir = scratch.path();

  for (const records::ManifestTarget& t : manifest->targets) {
    if (!t.image || !t.image->dropped_tags || !t.Succeeded()) continue;
    std::string dropped;
    for (const std::string& tag : *t.image->dropped_tags)
      dropped += (dropped.empty() ? "" : ", ") + tag;
    fmt::print(
        "fanout publish: {}: not tagged {}: the image was built from uncommitted changes (or "
        "no commit); commit them and build again to publish under the commit's name\n",
        t.name, dropped);
  }
  for (const std::string& name : untagged) {
    fmt::print("fanout publish: {}: no tags, nothing to push\n", name);
  }
  // Workers take the next image in turn; at most `jobs` pushes run at once.
  std::vector<PushOutcome> outcomes(pushes->size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::mutex print_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < pushes->size(); i = next++) {
      outcomes[i] = PushImage(options.access, (*pushes)[i]);
      const std::size_t n = ++finished;
      std::lock_guard<std::mutex> hold(print_mutex);
      const ImagePush& push = (*pushes)[i];
      if (outcomes[i].status.ok()) {
        fmt::print("[{}/{}] {}: {} ({})\n", n, pushes->size(), push.target, push.digest,
                   Describe(outcomes[i]));
      } else {
        fmt::print("[{}/{}] {}: FAILED: {}\n", n, pushes->size(), push.target,
                   outcomes[i].status.error().message);
      }
      std::fflush(stdout);
    }
  };
  std::vector<std::thread> workers;
  const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(jobs), pushes->size());
  for (std::size_t i = 0; i < count; ++i) workers.emplace_back(work);
  for (std::thread& w : workers) w.join();

  // Record what each reference holds. A build that rewrote the manifest meanwhile wins: its
  // images are not the ones pushed, so this run's record would be wrong there.
  int failed = 0;
  for (std::size_t i = 0; i < pushes->size(); ++i) {
    if (!outcomes[i].status.ok()) ++failed;
    for (records::ManifestTarget& t : manifest->targets) {
      if (t.name == (*pushes)[i].target) t.image->pushed = outcomes[i].references;
    }
  }
  auto current = ReadFile(manifest_path);
  if (!current.ok() || *current != *manifest_text) {
    return MakeError(fmt::format("{} changed while publishing (a build ran in '{}'); what was "
                                 "pushed is not recorded: run 'fanout publish' again",
                                 manifest_path, build_dir),
                     kExitTargetFailed);
  }
  FANOUT_TRY(records::WriteManifest(manifest_path, *manifest));
  if (failed) {
    fmt::print(stderr, "fanout publish: {} of {} images failed to push\n", failed, pushes->size());
    return kExitTargetFailed;
  }
  return kExitSuccess;
}

}  // namespace fanout::publish
