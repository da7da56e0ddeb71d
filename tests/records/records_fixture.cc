#include "records_fixture.h"

namespace fanout::records::testing {

SandboxRecord SampleSandbox() {
  SandboxRecord s;
  s.tier = "process";
  s.fallback_reason = "no user namespaces";
  s.limits = {{"memory", "cgroup v2"}, {"nofile", "rlimit"}};
  s.limits_fallback_reason = "no pids controller";
  s.landlock = LandlockRecord{3, {"read", "write"}};
  return s;
}

SuccessRecord SampleSuccess() {
  SuccessRecord r;
  r.target = "app";
  r.status = TargetStatus::kFlaky;
  r.exit_code = 0;
  r.attempts = 2;
  r.started_at = 1700000000.25;
  r.finished_at = 1700000003.5;
  r.duration_seconds = 3.25;
  r.source = SourceRecord{"c0ffee", "7ree", true};
  r.input_digest = "abc123";
  r.sandbox = SampleSandbox();
  r.artifacts = {{"bin/app", 2048, "00ff"}, {"lib/x.so", 7, "ee11"}};
  r.log = "targets/app/log.txt";
  r.image = ImageRecord{"sha256:m", "sha256:c", 4096, "image"};
  ActionRecord action;
  action.key = "k3y";
  action.version = 7;
  action.input_digest = "abc123";
  action.definition_digest = "def456";
  action.env_digest = "e0e0";
  action.deps = {{"base", "d1d1"}};
  action.platform = "linux/test";
  r.action = action;
  r.cached = CachedRecord{"remote", "http://cache/x", 12.5, 1699999990.5};
  return r;
}

FailureRecord SampleFailure() {
  FailureRecord f;
  f.target = "api";
  f.status = TargetStatus::kTimedOut;
  f.exit_code = 137;
  f.signal = 9;
  f.attempts = 3;
  f.duration_seconds = 61.5;
  f.started_at = 1700000000.5;
  f.finished_at = 1700000062.0;
  f.message = "timed out after 1m";
  f.log_tail = "still waiting";
  f.sandbox = SampleSandbox();
  return f;
}

Manifest SampleManifest() {
  Manifest m;
  m.source = ManifestSource{"worktree", "c0ffee", "7ree", true, {{"a.txt", "b/c.txt"}}, 3};
  ManifestTarget ok;
  ok.name = "app";
  ok.tier = 1;
  ok.status = TargetStatus::kSucceeded;
  ok.exit_code = 0;
  ok.attempts = 1;
  ok.duration_seconds = 2.5;
  ok.started_at = 1000;
  ok.finished_at = 1002.5;
  ok.source = SourceRecord{std::nullopt, "7ree", false};
  ok.input_digest = "abc";
  ok.sandbox = SampleSandbox();
  ok.log = "targets/app/log.txt";
  ok.artifacts = std::vector<ManifestArtifact>{{"x.tar", 3, "ab", "artifacts/app/x.tar"}};
  ok.image = ManifestImage{"sha256:m",
                           "sha256:c",
                           4096,
                           "artifacts/app/image",
                           {"r/app:c0ffee"},
                           std::vector<PushedReference>{{"r/app@sha256:m", "sha256:m", "pushed"},
                                                        {"r/app:c0ffee", "sha256:m", "present"}},
                           std::vector<std::string>{"r/app:{short}"}};
  ok.change = "rebuilt";
  ok.imported_from = "/runner/tier1-from-0";
  ManifestTarget bad;
  bad.name = "api";
  bad.status = TargetStatus::kFailed;
  bad.message = "exited with status 3";
  bad.exit_code = 3;
  bad.attempts = 1;
  bad.duration_seconds = 1.25;
  bad.log = "targets/api/log.txt";
  m.targets = {ok, bad};
  m.skipped = {"docs"};
  m.status = TargetStatus::kFailed;
  m.timings = ManifestTimings{4.5, 3.75};
  return m;
}

}  // namespace fanout::records::testing
