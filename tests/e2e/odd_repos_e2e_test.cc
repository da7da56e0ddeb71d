// End-to-end: repositories as they are (issue 17): submodules, input patterns matching
// nothing, Git LFS pointer files, too-long commands, odd artifact names, capped logs, and
// malformed records under `fanout gather`. Real git repositories, the real fanout and ninja.
#include <sys/stat.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class OddReposE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write(".gitignore", "fanout-out/\n");
    repo_.Write("src/main.txt", "source\n");
  }

  /// Writes fanout.yaml: `targets` is the indented text under `targets:`.
  void Describe(const std::string& targets) {
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n" + targets);
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ::fanout::testing::Run(argv, repo_.path());
  }

  json ReadJson(const std::string& rel) {
    json j = json::parse(ReadFile(repo_ / rel), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << rel;
    return j;
  }

  /// Adds a submodule at `path` whose repository holds `file`; returns its commit.
  std::string AddSubmodule(const std::string& path) {
    sub_.Write("lib.txt", "one\n");
    std::string commit = sub_.Commit("sub one");
    repo_.Git({"-c", "protocol.file.allow=always", "submodule", "add", "-q", sub_.path(), path});
    return commit;
  }

  /// Makes a new commit in the submodule checked out at `path` of the superproject.
  void CommitInSubmodule(const std::string& path, const std::string& content) {
    RunResult r = Sh("echo '" + content +
                         "' > lib.txt && git -c user.name=t -c user.email=t@t "
                         "commit -qam next",
                     repo_ / path);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<std::string> Affected(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"affected", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Fanout(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_discarded() && j.contains("affected")) {
      for (const json& t : j["affected"]) out.push_back(t["name"]);
    }
    return out;
  }

  GitRepo repo_;
  GitRepo sub_;
};

// ---- submodules ------------------------------------------------------------------------------

TEST_F(OddReposE2E, Submodule_PatternIntoItsFilesIsRefusedWithTheLocation) {
  AddSubmodule("vendor/lib");
  Describe("  app:\n    command: 'true'\n    inputs: [src/**, vendor/lib/**]\n");
  repo_.Commit("init");
  RunResult r = Fanout({"gen"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "fanout.yaml:5:22: error: input pattern 'vendor/lib/**' of target "
                       "'app' reaches into the submodule 'vendor/lib'"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "list 'vendor/lib' itself")) << r.err;
  RunResult check = Fanout({"check"});
  EXPECT_EQ(check.exit_code, 2) << check.err;

  // Positive control: the submodule's own path (its commit) is accepted.
  Describe("  app:\n    command: 'true'\n    inputs: [src/**, vendor/lib]\n");
  repo_.Commit("the commit only");
  RunResult ok = Fanout({"gen"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_FALSE(Contains(ok.err, "submodule")) << ok.err;
}

TEST_F(OddReposE2E, Submodule_ItsCommitIsAnInput) {
  AddSubmodule("sub");
  Describe(
      "  uses-sub:\n    command: 'true'\n    inputs: [sub]\n"
      "  other:\n    command: 'true'\n    inputs: [src/**]\n");
  repo_.Commit("init");

  // The work tree as committed: nothing affected (the control for what follows).
  EXPECT_EQ(Affected({"--base", "HEAD", "--head", "worktree"}), std::vector<std::string>{});
  RunResult first = Fanout({"build"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::string digest1 = ReadJson("fanout-out/targets/uses-sub/result.json")["input_digest"];
  const std::string other1 = ReadJson("fanout-out/targets/other/result.json")["input_digest"];

  // The submodule moves to a new commit, not yet committed in the superproject.
  CommitInSubmodule("sub", "two");
  EXPECT_EQ(Affected({"--base", "HEAD", "--head", "worktree"}),
            std::vector<std::string>{"uses-sub"});
  RunResult second = Fanout({"build"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(ReadJson("fanout-out/targets/uses-sub/result.json")["input_digest"], digest1);
  EXPECT_EQ(ReadJson("fanout-out/targets/other/result.json")["input_digest"], other1);

  // Committed: the bump affects it between the two commits as well.
  repo_.Commit("bump sub");
  EXPECT_EQ(Affected({"--base", "HEAD~1", "--head", "HEAD"}), std::vector<std::string>{"uses-sub"});
}

TEST_F(OddReposE2E, Submodule_ChangesNoCommitHoldsAreWarnedAbout) {
  AddSubmodule("sub");
  Describe("  uses-sub:\n    command: 'true'\n    inputs: [sub]\n");
  repo_.Commit("init");
  const std::vector<std::string> affected = {"affected", "--base", "HEAD", "--head", "worktree"};
  RunResult clean = Fanout(affected);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_FALSE(Contains(clean.err, "has changes no commit")) << clean.err;

  WriteFile(repo_ / "sub/lib.txt", "edited, not committed\n");
  RunResult r = Fanout(affected);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "the submodule 'sub' has changes no commit of it holds")) << r.err;
  // The build's snapshot says so too when it runs (here: the first build).
  RunResult build = Fanout({"build"});
  EXPECT_EQ(build.exit_code, 0) << build.err;
  EXPECT_TRUE(Contains(build.out + build.err, "the submodule 'sub' has changes no commit"))
      << build.out << build.err;
}

// ---- input patterns that match nothing -------------------------------------------------------

TEST_F(OddReposE2E, Inputs_PatternMatchingNothingWarnsAndStrictRefuses) {
  Describe("  app:\n    command: 'true'\n    inputs: [src/**, srcs/**]\n");
  repo_.Commit("init");
  RunResult warned = Fanout({"gen"});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_TRUE(Contains(warned.err,
                       "fanout.yaml:5:22: warning: input pattern 'srcs/**' of target "
                       "'app' matches no file"))
      << warned.err;
  EXPECT_FALSE(Contains(warned.err, "'src/**'")) << warned.err;

  RunResult strict = Fanout({"gen", "--strict"});
  EXPECT_EQ(strict.exit_code, 2) << strict.err;
  EXPECT_TRUE(Contains(strict.err, "fanout.yaml:5:22: error: input pattern 'srcs/**'"))
      << strict.err;
  RunResult build = Fanout({"build", "--strict"});
  EXPECT_EQ(build.exit_code, 2) << build.err;
  RunResult check = Fanout({"check", "--strict"});
  EXPECT_EQ(check.exit_code, 2) << check.err;
  EXPECT_TRUE(Contains(check.err, "matches no file")) << check.err;
  RunResult revision = Fanout({"gen", "--strict", "--source", "HEAD"});
  EXPECT_EQ(revision.exit_code, 2) << revision.err;

  // Positive controls: an untracked, not ignored file counts for a work tree; every pattern
  // matching something passes --strict.
  repo_.Write("srcs/new.txt", "untracked\n");
  RunResult untracked = Fanout({"gen", "--strict"});
  EXPECT_EQ(untracked.exit_code, 0) << untracked.err;
  EXPECT_FALSE(Contains(untracked.err, "matches no file")) << untracked.err;
}

// ---- Git LFS pointers ------------------------------------------------------------------------

TEST_F(OddReposE2E, Lfs_PointerFilesAmongInputsAreReported) {
  repo_.Write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n");
  repo_.Write("data/model.bin",
              "version https://git-lfs.github.com/spec/v1\n"
              "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
              "size 12345\n");
  repo_.Write("data/real.bin", "real content, pulled\n");
  Describe(
      "  app:\n    command: 'true'\n    inputs: [data/**]\n"
      "  docs:\n    command: 'true'\n    inputs: [src/**]\n");
  repo_.Commit("init");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"gen"}, std::vector<std::string>{"gen", "--source", "HEAD"}}) {
    RunResult r = Fanout(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(Contains(r.err,
                         "'data/model.bin', an input of target 'app', is a Git LFS "
                         "pointer file"))
        << r.err;
    EXPECT_TRUE(Contains(r.err, "git lfs pull")) << r.err;
    // Control: a file under the LFS filter with its real content is not reported.
    EXPECT_FALSE(Contains(r.err, "real.bin")) << r.err;
  }
}

// ---- too-long commands -----------------------------------------------------------------------

TEST_F(OddReposE2E, Command_TooLongFailsWithTheTrueReason) {
  const std::string pad(200 * 1024, 'x');
  const std::string fits(64 * 1024, 'y');
  Describe("  long:\n    command: 'true # " + pad + "'\n    inputs: [src/**]\n" +
           "  short:\n    command: 'true # " + fits + "'\n    inputs: [src/**]\n");
  repo_.Commit("init");
  RunResult r = Fanout({"build", "-k", "0"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json failure = ReadJson("fanout-out/targets/long/failure.json");
  const std::string message = failure.value("message", "");
  EXPECT_TRUE(Contains(message, "cannot run the command: Argument list too long (the command is " +
                                    std::to_string(pad.size() + 7) + " bytes"))
      << message;
  EXPECT_FALSE(Contains(message, "127")) << message;
  EXPECT_TRUE(Contains(r.out + r.err, "Argument list too long")) << r.out << r.err;
  // Control: a long command under the kernel's bound runs.
  EXPECT_TRUE(Exists(repo_ / "fanout-out/targets/short/result.json")) << r.out << r.err;
}

// ---- odd artifact names ----------------------------------------------------------------------

TEST_F(OddReposE2E, Artifacts_NonUtf8NameFailsWithTheTrueReason) {
  Describe(
      "  odd:\n    command: printf x > \"$FANOUT_OUT/a$(printf '\\377').txt\"\n"
      "    inputs: [src/**]\n    artifacts: ['*.txt']\n"
      "  accented:\n    command: printf x > \"$FANOUT_OUT/caf\xc3\xa9.txt\"\n"
      "    inputs: [src/**]\n    artifacts: ['*.txt']\n");
  repo_.Commit("init");
  RunResult r = Fanout({"build", "-k", "0"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string message = ReadJson("fanout-out/targets/odd/failure.json").value("message", "");
  EXPECT_TRUE(
      Contains(message, "artifact 'a\\xff.txt' in $FANOUT_OUT: the name is not valid UTF-8"))
      << message;
  EXPECT_FALSE(Contains(message, "regular file")) << message;
  // Control: a valid UTF-8 name beyond ASCII is collected.
  json ok = ReadJson("fanout-out/targets/accented/result.json");
  ASSERT_EQ(ok["artifacts"].size(), 1u) << ok.dump();
  EXPECT_EQ(ok["artifacts"][0]["path"], "caf\xc3\xa9.txt");
}

// ---- capped logs -----------------------------------------------------------------------------

TEST_F(OddReposE2E, Logs_CutAtTheLimitWithANoteAndTheCommandRunsOn) {
  // 1 GiB of output (the "target printing 1 GB") against a 64 KiB limit; the artifact
  // is written after it, so the target succeeds only if the command was neither blocked nor
  // killed once the log was full, and the log on disk stays at the limit.
  Describe(
      "  loud:\n    command: head -c 1073741824 /dev/zero | tr '\\0' x; echo; "
      "echo done > \"$FANOUT_OUT/done.txt\"\n"
      "    inputs: [src/**]\n    artifacts: [done.txt]\n    log_limit: 64K\n"
      "  quiet:\n    command: head -c 10000 /dev/zero | tr '\\0' y; echo END\n"
      "    inputs: [src/**]\n    log_limit: 64K\n");
  repo_.Commit("init");
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Exists(repo_ / "fanout-out/targets/loud/out/done.txt"));
  const std::string log = ReadFile(repo_ / "fanout-out/targets/loud/log.txt");
  const std::string note = "[fanout: log cut at 65536 bytes; ";
  ASSERT_TRUE(Contains(log, note)) << log.substr(log.size() > 300 ? log.size() - 300 : 0);
  EXPECT_LE(log.size(), 65536u + 200u);
  EXPECT_GE(log.size(), 65536u);
  // Everything before the note is kept output; what follows says how much went.
  const std::size_t at = log.find(note);
  EXPECT_EQ(at, 65536u + 1);  // the note starts on a line of its own
  // The note counts what was left out: all of the log (fanout's own lines before the command's
  // output, such as the process tier's fallback warning, the 1 GiB and its newline) but the
  // kept 64 KiB.
  const std::size_t before_output = log.find(std::string(64, 'x'));
  ASSERT_NE(before_output, std::string::npos);
  EXPECT_TRUE(Contains(log.substr(at), std::to_string(before_output + 1073741824ull + 1 - 65536) +
                                           " bytes dropped]"))
      << log.substr(at) << " (the log's lines before the output: " << log.substr(0, before_output)
      << ")";
  const std::string quiet = ReadFile(repo_ / "fanout-out/targets/quiet/log.txt");
  // Control: output under the limit is all there, with no note.
  EXPECT_TRUE(Contains(quiet, std::string(10000, 'y') + "END")) << quiet.size();
  EXPECT_FALSE(Contains(quiet, "[fanout: log cut")) << quiet;
}

// ---- malformed records under gather ----------------------------------------------------------

TEST_F(OddReposE2E, Gather_MalformedResultIsAnErrorNamingIt) {
  Describe(
      "  app:\n    command: printf hi > \"$FANOUT_OUT/a.txt\"\n    inputs: [src/**]\n"
      "    artifacts: [a.txt]\n");
  repo_.Commit("init");
  RunResult built = Fanout({"build"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  const std::string result_path = repo_ / "fanout-out/targets/app/result.json";
  const std::string good = ReadFile(result_path);
  // Control: the untouched record gathers.
  RunResult ok = Fanout({"gather", "-B", "fanout-out"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;

  // A path out of the out directory, with the SHA-256 of the file it reaches: gather must not
  // read, link or remove it.
  TempDir outside;
  const std::string victim = outside / "victim.txt";
  WriteFile(victim, "hi");  // same content and digest as a.txt
  json bad = json::parse(good);
  std::string up;
  for (int i = 0; i < 32; ++i) up += "../";
  bad["artifacts"][0]["path"] = up + victim.substr(1);
  WriteFile(result_path, bad.dump());
  RunResult escaped = Fanout({"gather", "-B", "fanout-out"});
  EXPECT_NE(escaped.exit_code, 0);
  EXPECT_TRUE(Contains(escaped.err, "result.json: the field 'artifacts[0].path'")) << escaped.err;
  EXPECT_TRUE(Contains(escaped.err, "has a '..' component")) << escaped.err;
  EXPECT_EQ(ReadFile(victim), "hi");

  for (const std::string& text :
       {std::string("{not json"), std::string("[1, 2]"), std::string("{\"version\": 1}"),
        std::string("{\"version\": \"1\"}")}) {
    WriteFile(result_path, text);
    RunResult r = Fanout({"gather", "-B", "fanout-out"});
    EXPECT_GT(r.exit_code, 0) << text;
    EXPECT_LT(r.exit_code, 128) << text << ": " << r.err;  // an error, not a crash
    EXPECT_TRUE(Contains(r.err, "targets/app/result.json")) << text << ": " << r.err;
  }

  // A record that is there but cannot be read is no missing record.
  ASSERT_EQ(unlink(result_path.c_str()), 0);
  ASSERT_EQ(mkdir(result_path.c_str(), 0755), 0);
  RunResult dir = Fanout({"gather", "-B", "fanout-out"});
  EXPECT_GT(dir.exit_code, 0);
  EXPECT_LT(dir.exit_code, 128) << dir.err;
  EXPECT_TRUE(Contains(dir.err, "targets/app/result.json")) << dir.err;
  EXPECT_TRUE(Contains(dir.err, "Is a directory")) << dir.err;
}

}  // namespace
}  // namespace fanout::testing
