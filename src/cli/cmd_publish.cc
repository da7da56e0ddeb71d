#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli/cli.h"
#include "publish/publish.h"

namespace fanout {

namespace {

struct PublishCliOptions {
  CommonOptions common;
  publish::PublishOptions publish;
  bool insecure = false;
};

}  // namespace

CommandFn SetupPublish(CLI::App* app) {
  auto opts = std::make_shared<PublishCliOptions>();
  AddBuildDirOption(app, &opts->common);
  AddRepoOption(app, &opts->common.repo, kBuildDirRepoHelp);
  app->add_option("-j,--jobs", opts->publish.jobs,
                  "pushes at once (default: the depth of the 'publish' pool, else 4)")
      ->check(CLI::PositiveNumber);
  app->add_option("--authfile", opts->publish.access.authfile,
                  "registry credentials, docker's config.json shape (default: skopeo's own: "
                  "REGISTRY_AUTH_FILE, then ~/.docker/config.json)");
  app->add_flag("--insecure", opts->insecure,
                "talk to registries over plain HTTP or unverified TLS (a test registry)");
  app->add_flag("--allow-failed", opts->publish.allow_failed,
                "push the images that built even when the build failed");
  return [opts] {
    const CommonOptions& c = opts->common;
    if (int rc = CheckRepoOption("publish", c.repo, c.build_dir); rc != kExitSuccess) return rc;
    publish::PublishOptions options = opts->publish;
    options.build_dir = c.build_dir;
    options.access.tls_verify = !opts->insecure;
    auto rc = publish::RunPublish(options);
    if (!rc.ok()) {
      fmt::print(stderr, "fanout publish: error: {}\n", rc.error().message);
      return rc.error().exit_code;
    }
    return *rc;
  };
}

}  // namespace fanout
