// `fanout doctor`: which sandbox tier this machine gives fanout, and why; how it enforces
// limits (cgroups or rlimits); and what about the repository matters to fanout (shallow or
// partial clone); and which targets of the description declare a socket that gives them
// host-root power.
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/exit_codes.h"
#include "cli/build_dir.h"
#include "cli/cli.h"
#include "description/loader.h"
#include "description/warnings.h"
#include "git/git.h"
#include "git/repo_check.h"
#include "image/engines.h"
#include "sandbox/probe.h"
#include "sandbox/subordinate_ids.h"

namespace fanout {

namespace {

struct DoctorOptions {
  std::string build_dir;  ///< -B; empty: BuildDirForReading
  bool json = false;
  bool require_sandbox = false;
  std::string repo;  ///< --repo; empty: the repository containing the current directory, if any
  std::string file;  ///< -f; empty: fanout.yaml at the work tree's root, if there is one
};

/// What doctor says about the description: which targets it gives host-root power.
struct DescriptionFacts {
  std::string path;   ///< as shown
  std::string error;  ///< why it did not load (then `sockets` is empty)
  std::vector<HostRootSocket> sockets;
};

/// The description named by -f, else the work tree's fanout.yaml; nullopt when there is none.
std::optional<DescriptionFacts> ReadDescriptionFacts(const std::string& file,
                                                     const std::optional<RepoFacts>& repo) {
  DescriptionFacts facts;
  facts.path = file;
  if (facts.path.empty()) {
    if (!repo || repo->bare) return std::nullopt;
    facts.path = repo->workdir + "fanout.yaml";
    if (access(facts.path.c_str(), F_OK) != 0) return std::nullopt;
  }
  LoadResult loaded = LoadDescriptionFile(facts.path);
  if (!loaded.description) {
    facts.error =
        loaded.diagnostics.empty() ? "it does not load" : loaded.diagnostics.front().message;
    return facts;
  }
  facts.sockets = FindHostRootSockets(*loaded.description);
  return facts;
}

nlohmann::json DescriptionFactsToJson(const std::optional<DescriptionFacts>& f) {
  if (!f) return nullptr;
  nlohmann::json sockets = nlohmann::json::array();
  for (const HostRootSocket& s : f->sockets) {
    sockets.push_back(
        {{"target", s.target}, {"socket", s.path}, {"engine", std::string(s.engine)}});
  }
  return {{"path", f->path},
          {"error", f->error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f->error)},
          {"host_root_sockets", sockets}};
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

/// The facts of --repo (an error when it cannot be opened), or of the repository containing the
/// current directory (nullopt when there is none).
Expected<std::optional<RepoFacts>> FindRepoFacts(const std::string& repo_dir) {
  auto repo = repo_dir.empty() ? Repository::Open(".") : OpenRepoOption(repo_dir);
  if (!repo.ok()) {
    if (repo_dir.empty()) return std::optional<RepoFacts>();
    return repo.error();
  }
  auto facts = ReadRepoFacts(*repo);
  if (!facts.ok()) return facts.error();
  return std::optional<RepoFacts>(std::move(*facts));
}

nlohmann::json RepoFactsToJson(const std::optional<RepoFacts>& f) {
  if (!f) return nullptr;
  nlohmann::json remotes = nlohmann::json::array();
  for (const Repository::PromisorRemote& r : f->promisor_remotes) {
    remotes.push_back({{"name", r.name}, {"filter", r.filter}});
  }
  return {{"workdir", f->bare ? nlohmann::json(nullptr) : nlohmann::json(f->workdir)},
          {"gitdir", f->gitdir},
          {"bare", f->bare},
          {"shallow", f->shallow},
          {"partial_clone", !f->promisor_remotes.empty()},
          {"promisor_remotes", remotes}};
}

std::string DescribePartialClone(const RepoFacts& f) {
  if (f.promisor_remotes.empty()) return "no";
  std::string from;
  for (const Repository::PromisorRemote& r : f.promisor_remotes) {
    if (!from.empty()) from += ", ";
    from += r.filter.empty() ? r.name : fmt::format("{} with filter {}", r.name, r.filter);
  }
  return fmt::format(
      "yes (promisor remote {}): fanout does not fetch missing objects, so a --source REV or "
      "--base that needs one never fetched fails with exit 3",
      from);
}

}  // namespace

CommandFn SetupDoctor(CLI::App* app) {
  auto opts = std::make_shared<DoctorOptions>();
  app->add_option("-B,--build-dir", opts->build_dir,
                  "probe the file system of this build directory (default: 'build_dir' of "
                  "fanout.yaml, else fanout-out, at the repository's root; else $TMPDIR)")
      ->option_text("DIR");
  app->add_flag("--json", opts->json, "print the probe as JSON");
  app->add_flag("--require-sandbox", opts->require_sandbox,
                "exit 1 when the namespaces tier is not available");
  app->add_option("-f,--file", opts->file,
                  "also report which targets of this description can become root on this "
                  "machine (default: fanout.yaml at the repository's root, if there is one)");
  AddRepoOption(app, &opts->repo,
                "also report on this git repository: bare, shallow, partial clone (default: "
                "the one containing the current directory, if any)");
  return [opts] {
    auto repo = FindRepoFacts(opts->repo);
    if (!repo.ok()) {
      fmt::print(stderr, "fanout doctor: error: {}\n", repo.error().message);
      return repo.error().exit_code;
    }
    std::string dir = BuildDirForReading(opts->build_dir);
    if (access(dir.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      dir = tmp && *tmp ? tmp : "/tmp";
    }
    const sandbox::ProbeResult p =
        sandbox::RunProbe(fmt::format("{}/.fanout-doctor-{}", dir, getpid()));
    const char* forced = std::getenv("FANOUT_SANDBOX");
    auto choice = sandbox::ChooseTier(p, forced ? forced : "", opts->require_sandbox);
    const std::optional<DescriptionFacts> described = ReadDescriptionFacts(opts->file, *repo);
    const image::EngineFacts engines = image::ProbeEngines();
    std::string docker_why;
    const bool docker_usable = engines.DockerUsable(&docker_why);
    // buildah builds inside the sandbox: whether it can depends on the tier chosen here.
    std::string buildah_why = "no sandbox tier is usable", subordinate_problem;
    if (!p.root) {
      auto ids = sandbox::FindSubordinateIds();
      if (!ids.ok()) subordinate_problem = ids.error().message;
    }
    const bool buildah_usable =
        choice.ok() && engines.BuildahUsable(choice->tier == sandbox::Tier::kNamespaces, p.root,
                                             subordinate_problem, &buildah_why);
    if (opts->json) {
      nlohmann::json j = nlohmann::json::parse(sandbox::ProbeToJson(p));
      j["repository"] = RepoFactsToJson(*repo);
      j["description"] = DescriptionFactsToJson(described);
      j["image_engines"] = {{"docker",
                             {{"usable", docker_usable},
                              {"why_not", docker_why},
                              {"cli", engines.docker},
                              {"buildx", engines.buildx},
                              {"skopeo", engines.skopeo}}},
                            {"buildah",
                             {{"usable", buildah_usable},
                              {"why_not", buildah_usable ? "" : buildah_why},
                              {"cli", engines.buildah}}}};
      fmt::print("{}\n", j.dump(2));
    } else {
      auto row = [](const char* k, const std::string& v) { fmt::print("  {:<22} {}\n", k, v); };
      fmt::print("fanout sandbox probe (kernel {})\n", p.kernel);
      row("privileges", p.root ? "root with CAP_SYS_ADMIN (no user namespace needed)"
                               : "unprivileged (needs a user namespace)");
      if (!p.root) row("user namespace", YesNo(p.user_ns));
      row("mount/pid/ipc/uts ns", YesNo(p.namespaces || p.readonly_remount));
      row("network namespace", YesNo(p.net_ns));
      row("read-only remount", YesNo(p.readonly_remount));
      row("open_tree/move_mount", YesNo(p.detached_mounts));
      if (p.root) row("nested user namespace", YesNo(p.nested_user_ns));
      row("overlayfs", p.overlay ? fmt::format("yes (on {})", dir) : "no (private copies instead)");
      row("fresh /proc", YesNo(p.proc));
      // What the process tier does with it (the namespaces tier hides paths with mounts).
      row("landlock",
          p.landlock_abi > 0
              ? fmt::format("ABI {} (process tier: restricts reads and writes)", p.landlock_abi)
              : "no (process tier: reads and writes unrestricted)");
      row("seccomp", YesNo(p.seccomp));
      row("limits", sandbox::DescribeCgroupSupport(p.cgroups));
      if (choice.ok()) {
        row("tier", sandbox::TierName(choice->tier));
        if (!choice->fallback_reason.empty()) row("fallback reason", choice->fallback_reason);
      }
      fmt::print("image engines\n");
      row("docker", docker_usable
                        ? fmt::format("usable: {}{}; {}", engines.docker,
                                      engines.buildx ? " with buildx" : "", engines.skopeo)
                        : "not usable: " + docker_why);
      row("buildah", buildah_usable ? "usable: " + engines.buildah + " (in the sandbox)"
                                    : "not usable: " + buildah_why);
      if (const std::optional<RepoFacts>& f = *repo) {
        fmt::print("git repository\n");
        if (!f->bare) row("work tree", f->workdir);
        row("git dir", f->gitdir);
        row("bare", YesNo(f->bare));
        row("shallow", f->shallow ? "yes: 'affected' and '--base' need the history they "
                                    "compare; 'git fetch --deepen=N' or '--unshallow' adds it"
                                  : "no");
        row("partial clone", DescribePartialClone(*f));
      } else {
        fmt::print("git repository: none (not inside one; pass --repo DIR)\n");
      }
      if (described) {
        fmt::print("description {}\n", described->path);
        if (!described->error.empty()) {
          row("host-root sockets",
              fmt::format("unknown: it does not load ({}); run 'fanout check -f {}'",
                          described->error, described->path));
        } else if (described->sockets.empty()) {
          row("host-root sockets", "none");
        }
        for (const HostRootSocket& s : described->sockets) {
          row(&s == &described->sockets.front() ? "host-root sockets" : "",
              fmt::format("target '{}' declares the {} socket '{}': any command of this target "
                          "can become root on this machine",
                          s.target, s.engine, s.path));
        }
      }
    }
    if (!choice.ok()) {
      fmt::print(stderr, "fanout: error: {}\n", choice.error().message);
      return kExitTargetFailed;
    }
    return kExitSuccess;
  };
}

}  // namespace fanout
