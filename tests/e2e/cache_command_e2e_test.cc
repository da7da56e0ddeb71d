// `fanout cache stats|prune|verify` on stores built with LocalStore: the real binary, its
// output, its exit codes, and what it leaves in the directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/sha256.h"
#include "cache/action_result.h"
#include "cache/local_store.h"
#include "report/text.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using cache::ActionResult;
using cache::BlobRef;
using cache::LocalStore;

constexpr double kDay = 86400;

void SetAge(const std::string& path, double seconds) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(std::time(nullptr) - seconds);
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

class CacheCommandE2E : public ::testing::Test {
 protected:
  std::string Dir() { return tmp_ / "cache"; }

  /// An entry named `name` with one output of `content`, last used `age` seconds ago; its blob
  /// is two hours old.
  std::string Entry(const std::string& name, const std::string& content, double age) {
    auto store = LocalStore::Open(Dir());
    EXPECT_TRUE(store.ok()) << store.error().message;
    const BlobRef blob{Sha256Hex(content), content.size()};
    WriteFile(tmp_ / "src", content);
    EXPECT_TRUE(store->PutBlob(blob, tmp_ / "src").ok());
    ActionResult result;
    result.files.push_back({name, blob, false});
    const std::string key = Sha256Hex("key:" + name);
    EXPECT_TRUE(store->PutAction(key, cache::EncodeActionResult(result)).ok());
    SetAge(Dir() + "/ac/" + key, age);
    SetAge(Dir() + "/cas/" + blob.sha256, 7200);
    return key;
  }

  RunResult Cache(std::vector<std::string> args) {
    args.insert(args.begin(), {FanoutBinary(), "cache"});
    args.insert(args.end(), {"--cache-dir", Dir()});
    return fanout::testing::Run(args);
  }

  TempDir tmp_;
};

TEST_F(CacheCommandE2E, StatsOnAnEmptyDirectory) {
  ASSERT_EQ(mkdir(Dir().c_str(), 0700), 0);
  RunResult r = Cache({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "cache      " + Dir() + "\nentries    0\nblobs      0\nsize       0 B\n");
  RunResult json = Cache({"stats", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "{\n  \"actions\": 0,\n  \"blobs\": 0,\n  \"bytes\": 0,\n  \"dir\": \"" +
                          Dir() + "\",\n  \"newest_use\": null,\n  \"oldest_use\": null\n}\n");
  // A directory that does not exist reads as empty and is not created.
  RunResult none =
      fanout::testing::Run({FanoutBinary(), "cache", "stats", "--cache-dir", tmp_ / "none"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_FALSE(Exists(tmp_ / "none"));
}

TEST_F(CacheCommandE2E, StatsCountsAndTheDefaultDirectoryComesFromTheEnvironment) {
  Entry("a", "aaaa", 2 * kDay);
  Entry("b", "bbbbbb", 3600);
  RunResult r =
      fanout::testing::Run({FanoutBinary(), "cache", "stats"}, "", {"FANOUT_CACHE_DIR=" + Dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cache      " + Dir() + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("entries    2\nblobs      2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("last used  1h ago (least recently used entry: 2d ago)"), std::string::npos)
      << r.out;
  RunResult json = Cache({"stats", "--json"});
  EXPECT_NE(json.out.find("\"actions\": 2"), std::string::npos) << json.out;
}

TEST_F(CacheCommandE2E, WithoutHomeOrAVariableItSaysWhatToSet) {
  RunResult r = fanout::testing::Run({"env", "-u", "HOME", "-u", "XDG_CACHE_HOME", "-u",
                                      "FANOUT_CACHE_DIR", FanoutBinary(), "cache", "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fanout cache: error: cannot find a cache directory: HOME is not set; set "
                       "FANOUT_CACHE_DIR"),
            std::string::npos)
      << r.err;
}

TEST_F(CacheCommandE2E, UsageErrorsExitTwoAndSayWhatIsAccepted) {
  Entry("a", "aaaa", 40 * kDay);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"prune"}, "prune needs --max-size SIZE, --older-than AGE, or both"},
      {{"prune", "--max-size", "10X"},
       "--max-size '10X' is not a size: give bytes (1073741824) or a whole number with K, M, G or "
       "T (powers of 1024), e.g. 10G"},
      {{"prune", "--max-size", "1.5G"}, "--max-size '1.5G' is not a size"},
      {{"prune", "--max-size", "G"}, "--max-size 'G' is not a size"},
      {{"prune", "--max-size", "-1"}, "--max-size '-1' is not a size"},
      {{"prune", "--max-size", "99999999999T"}, "is not a size"},
      {{"prune", "--older-than", "30"},
       "--older-than '30' is not an age: give a whole number with s, m, h or d (seconds, minutes, "
       "hours, days), e.g. 30d"},
      {{"prune", "--older-than", "3w"}, "--older-than '3w' is not an age"},
      {{"stats", "--max-size", "1G"}, "--max-size is an option of 'fanout cache prune'"},
      {{"verify", "--older-than", "1d"}, "--older-than is an option of 'fanout cache prune'"},
      {{"prune", "--older-than", "1d", "--json"}, "--json is an option of 'fanout cache stats'"},
      {{"clean"}, "clean not in {stats,prune,verify}"},
      {{}, "action is required"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args.empty() ? "(none)"
                                : c.args[0] + " " + (c.args.size() > 2 ? c.args[2] : ""));
    RunResult r = Cache(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  // Nothing was pruned by any of them.
  RunResult stats = Cache({"stats"});
  EXPECT_NE(stats.out.find("entries    1\n"), std::string::npos) << stats.out;
}

TEST_F(CacheCommandE2E, PruneByAgeAndBySize) {
  const std::string old_key = Entry("old", std::string(3000, 'o'), 40 * kDay);
  const std::string mid_key = Entry("mid", std::string(2000, 'm'), 10 * kDay);
  const std::string new_key = Entry("new", std::string(1000, 'n'), 60);
  const std::uint64_t entry_bytes = ReadFile(Dir() + "/ac/" + new_key).size();
  RunResult r = Cache({"prune", "--older-than", "30d"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "removed 1 entry and 1 blob (" + FormatSize(3000 + entry_bytes) +
                       "); 2 entries and 2 blobs, " + FormatSize(3000 + 2 * entry_bytes) +
                       " remain\n");
  EXPECT_FALSE(Exists(Dir() + "/ac/" + old_key));
  EXPECT_TRUE(Exists(Dir() + "/ac/" + mid_key));
  // 2K: the mid entry (2000 bytes of blob) no longer fits with the new one.
  r = Cache({"prune", "--max-size", "2K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("removed 1 entry and 1 blob (", 0), 0u) << r.out;
  EXPECT_FALSE(Exists(Dir() + "/ac/" + mid_key));
  EXPECT_TRUE(Exists(Dir() + "/ac/" + new_key));
  // Plain bytes, and lower-case suffixes, are sizes too.
  r = Cache({"prune", "--max-size", "1048576"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "removed 0 entries and 0 blobs (0 B); 1 entry and 1 blob, " +
                       FormatSize(1000 + entry_bytes) + " remain\n");
  r = Cache({"prune", "--max-size", "0k", "--older-than", "1h"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("removed 1 entry and 1 blob", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("0 entries and 0 blobs, 0 B remain"), std::string::npos) << r.out;
}

TEST_F(CacheCommandE2E, VerifyListsAndRemovesWhatIsWrong) {
  const std::string good = Entry("good", "good", 60);
  RunResult clean = Cache({"verify"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(clean.out, "checked 1 blob and 1 entry: no problems\n");

  const std::string dangling = Entry("dangling", "gone", 60);
  const std::string gone = Sha256Hex("gone");
  ASSERT_EQ(unlink((Dir() + "/cas/" + gone).c_str()), 0);
  const std::string flipped = Sha256Hex("flip");
  Entry("flipped", "flip", 60);
  WriteFile(Dir() + "/cas/" + flipped, "flop");
  RunResult r = Cache({"verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cas/" + flipped + ": corrupt: its sha256 is " + Sha256Hex("flop") +
                       " (4 bytes); removed\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ac/" + dangling + ": output 'dangling' names blob " + gone +
                       ", which is missing; removed\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("checked 2 blobs and 3 entries: 3 problems, removed\n"), std::string::npos)
      << r.out;
  EXPECT_FALSE(Exists(Dir() + "/ac/" + dangling));
  EXPECT_FALSE(Exists(Dir() + "/cas/" + flipped));
  EXPECT_TRUE(Exists(Dir() + "/ac/" + good));
  RunResult again = Cache({"verify"});
  EXPECT_EQ(again.out, "checked 1 blob and 1 entry: no problems\n");
}

TEST_F(CacheCommandE2E, ADirectoryThatCannotBeReadIsExitOne) {
  WriteFile(Dir(), "a file, not a directory");
  RunResult r = Cache({"verify"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("fanout cache: error: cannot list '" + Dir() + "/cas': Not a directory"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace fanout::testing
