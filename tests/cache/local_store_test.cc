// The local action cache: the ac/ and cas/ tree, verification on every read, atomic writes
// under concurrent writers, and stats, prune and verify.
#include "cache/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "cache/action_result.h"
#include "cache/store_maintenance.h"
#include "test_util.h"

namespace fanout::cache {
namespace {

using fanout::testing::Exists;
using fanout::testing::ReadFile;
using fanout::testing::TempDir;
using fanout::testing::WriteFile;

BlobRef BlobOf(const std::string& content) { return BlobRef{Sha256Hex(content), content.size()}; }

std::string Key(const std::string& name) { return Sha256Hex("key:" + name); }

/// Sets the modification time of `path` to `when` (unix seconds).
void SetMtime(const std::string& path, double when) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(when);
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

double Mtime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<double>(st.st_mtim.tv_sec);
}

/// The names in `dir` (dot files included).
std::vector<std::string> Names(const std::string& dir) {
  auto r = fanout::testing::Sh("ls -A '" + dir + "'");
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < r.out.size()) {
    std::size_t nl = r.out.find('\n', start);
    out.push_back(r.out.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalStore::Open(dir_ / "cache");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_.emplace(std::move(*store));
  }

  /// Stores `content` as a blob (from a file under the temp dir); returns its ref.
  BlobRef Put(const std::string& content) {
    const std::string src = dir_ / ("src-" + Sha256Hex(content).substr(0, 12));
    WriteFile(src, content);
    const BlobRef blob = BlobOf(content);
    Status st = store_->PutBlob(blob, src);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return blob;
  }

  /// Fetches `blob` into a file; returns the outcome and (through *out) the bytes written.
  FetchOutcome Fetch(const BlobRef& blob, std::string* out, std::string* why = nullptr) {
    const std::string dest = dir_ / "fetched";
    UniqueFd fd(open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    EXPECT_TRUE(fd);
    auto r = store_->FetchBlob(blob, fd.get(), why);
    EXPECT_TRUE(r.ok()) << r.error().message;
    fd.reset();
    *out = ReadFile(dest);
    return r.ok() ? *r : FetchOutcome::kMissing;
  }

  /// Stores an entry naming one output file with `content`; returns its key.
  std::string Entry(const std::string& name, const std::string& content) {
    ActionResult result;
    result.files.push_back({name, Put(content), false});
    const std::string key = Key(name);
    Status st = store_->PutAction(key, EncodeActionResult(result));
    EXPECT_TRUE(st.ok()) << st.error().message;
    return key;
  }

  std::string Ac(const std::string& key) { return dir_ / ("cache/ac/" + key); }
  std::string Cas(const BlobRef& blob) { return dir_ / ("cache/cas/" + blob.sha256); }
  std::string Cache() { return dir_ / "cache"; }

  TempDir dir_;
  std::optional<LocalStore> store_;
};

TEST_F(LocalStoreTest, OpenCreatesAcAndCasPrivately) {
  for (const char* sub : {"cache", "cache/ac", "cache/cas"}) {
    struct stat st;
    ASSERT_EQ(stat((dir_ / sub).c_str(), &st), 0) << sub;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << sub;
    EXPECT_EQ(st.st_mode & 077, 0u) << sub << " is open to others";
  }
  // Missing parents too; an existing store opens again.
  auto nested = LocalStore::Open(dir_ / "a/b/c/");
  ASSERT_TRUE(nested.ok()) << nested.error().message;
  EXPECT_EQ(nested->dir(), dir_ / "a/b/c");
  EXPECT_TRUE(Exists(dir_ / "a/b/c/cas"));
  EXPECT_TRUE(LocalStore::Open(Cache()).ok());
  WriteFile(dir_ / "file", "x");
  auto on_file = LocalStore::Open(dir_ / "file");
  ASSERT_FALSE(on_file.ok());
  EXPECT_NE(on_file.error().message.find("is not a directory"), std::string::npos)
      << on_file.error().message;
}

TEST_F(LocalStoreTest, ActionsRoundTripAndReplace) {
  const std::string key = Key("a");
  auto missing = store_->GetAction(key);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(store_->PutAction(key, std::string("one\0two", 7)).ok());
  auto got = store_->GetAction(key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, std::string("one\0two", 7));
  ASSERT_TRUE(store_->PutAction(key, "three").ok());
  EXPECT_EQ(**store_->GetAction(key), "three");
  store_->RemoveAction(key);
  EXPECT_FALSE(store_->GetAction(key)->has_value());
  EXPECT_EQ(Names(dir_ / "cache/ac"), std::vector<std::string>{}) << "a temporary file is left";
}

TEST_F(LocalStoreTest, GetActionRefusesAnOversizedEntry) {
  const std::string key = Key("big");
  WriteFile(Ac(key), std::string((16 << 20) + 1, 'x'));
  auto got = store_->GetAction(key);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("larger than an action result can be"), std::string::npos);
}

TEST_F(LocalStoreTest, BlobsRoundTripAtTheDestinationsOffset) {
  const std::string content = std::string(3 << 20, 'q') + "tail";  // several read chunks
  const BlobRef blob = BlobOf(content);
  EXPECT_FALSE(*store_->HasBlob(blob));
  Put(content);
  EXPECT_TRUE(*store_->HasBlob(blob));
  EXPECT_FALSE(*store_->HasBlob(BlobRef{blob.sha256, blob.size + 1}));
  const std::string dest = dir_ / "dest";
  WriteFile(dest, "prefix:");
  UniqueFd fd(open(dest.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  auto r = store_->FetchBlob(blob, fd.get());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, FetchOutcome::kOk);
  fd.reset();
  EXPECT_EQ(ReadFile(dest), "prefix:" + content);
}

TEST_F(LocalStoreTest, PutBlobCopiesAndNeverLinks) {
  const std::string src = dir_ / "artifact";
  WriteFile(src, "original");
  const BlobRef blob = BlobOf("original");
  ASSERT_TRUE(store_->PutBlob(blob, src).ok());
  struct stat a, b;
  ASSERT_EQ(stat(src.c_str(), &a), 0);
  ASSERT_EQ(stat(Cas(blob).c_str(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);
  EXPECT_EQ(b.st_nlink, 1u);
  // Edited in place (same inode), as a later build might: the blob keeps its bytes.
  UniqueFd fd(open(src.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_EQ(pwrite(fd.get(), "EDITED!!", 8, 0), 8);
  std::string out;
  EXPECT_EQ(Fetch(blob, &out), FetchOutcome::kOk);
  EXPECT_EQ(out, "original");
}

TEST_F(LocalStoreTest, PutBlobSkipsAPresentBlobAndReplacesOneOfTheWrongSize) {
  const BlobRef blob = Put("content");
  SetMtime(Cas(blob), 1000);
  // Present with the right size: not copied again (the file now differs), but made young so
  // that a prune in between does not sweep it.
  WriteFile(dir_ / "other", "CONTENT");
  ASSERT_TRUE(store_->PutBlob(blob, dir_ / "other").ok());
  EXPECT_EQ(ReadFile(Cas(blob)), "content");
  EXPECT_GT(Mtime(Cas(blob)), std::time(nullptr) - 60);
  // A short (torn) blob is replaced.
  WriteFile(Cas(blob), "cont");
  Put("content");
  EXPECT_EQ(ReadFile(Cas(blob)), "content");
}

TEST_F(LocalStoreTest, PutBlobRefusesAFileOfAnotherSize) {
  WriteFile(dir_ / "f", "12345");
  Status st = store_->PutBlob(BlobRef{Sha256Hex("1234"), 4}, dir_ / "f");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("it is 5 bytes, not the 4 its digest names"), std::string::npos)
      << st.error().message;
  Status missing = store_->PutBlob(BlobRef{Sha256Hex("1234"), 4}, dir_ / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  EXPECT_EQ(Names(dir_ / "cache/cas"), std::vector<std::string>{});
}

TEST_F(LocalStoreTest, AFlippedByteIsCorruptAndRemoved) {
  const BlobRef blob = Put("hello world");
  WriteFile(Cas(blob), "hello World");
  std::string out, why;
  EXPECT_EQ(Fetch(blob, &out, &why), FetchOutcome::kCorrupt);
  EXPECT_NE(why.find("sha256 was " + Sha256Hex("hello World") + ", size 11"), std::string::npos)
      << why;
  EXPECT_FALSE(Exists(Cas(blob)));
  EXPECT_EQ(Fetch(blob, &out), FetchOutcome::kMissing);
  EXPECT_FALSE(*store_->HasBlob(blob));
}

TEST_F(LocalStoreTest, ATruncatedBlobIsCorruptAndRemoved) {
  const BlobRef blob = Put("hello world");
  ASSERT_EQ(truncate(Cas(blob).c_str(), 5), 0);
  std::string out, why;
  EXPECT_EQ(Fetch(blob, &out, &why), FetchOutcome::kCorrupt);
  EXPECT_NE(why.find("size 5 (expected size 11)"), std::string::npos) << why;
  EXPECT_FALSE(Exists(Cas(blob)));
  // Positive control: the same fetch of an intact blob succeeds.
  Put("hello world");
  EXPECT_EQ(Fetch(blob, &out), FetchOutcome::kOk);
  EXPECT_EQ(out, "hello world");
}

TEST_F(LocalStoreTest, AMissingBlobIsMissing) {
  std::string out;
  EXPECT_EQ(Fetch(BlobOf("never stored"), &out), FetchOutcome::kMissing);
  EXPECT_EQ(out, "");
}

TEST_F(LocalStoreTest, RefusesKeysAndDigestsThatAreNot64LowercaseHex) {
  WriteFile(dir_ / "victim", "keep me");
  WriteFile(dir_ / "src", "x");
  const std::vector<std::string> bad = {"",
                                        "../../victim",
                                        std::string(64, 'A'),
                                        std::string(63, 'a'),
                                        std::string(65, 'a'),
                                        std::string(63, 'a') + "/",
                                        std::string(63, 'a') + '\0'};
  for (const std::string& name : bad) {
    SCOPED_TRACE(name);
    auto get = store_->GetAction(name);
    ASSERT_FALSE(get.ok());
    EXPECT_NE(get.error().message.find("invalid action key"), std::string::npos);
    EXPECT_NE(get.error().message.find("expected 64 lowercase hex digits"), std::string::npos);
    EXPECT_FALSE(store_->PutAction(name, "x").ok());
    EXPECT_FALSE(store_->HasBlob(BlobRef{name, 1}).ok());
    EXPECT_FALSE(store_->PutBlob(BlobRef{name, 1}, dir_ / "src").ok());
    UniqueFd fd(open((dir_ / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    auto fetch = store_->FetchBlob(BlobRef{name, 7}, fd.get());
    ASSERT_FALSE(fetch.ok());
    EXPECT_NE(fetch.error().message.find("invalid blob digest"), std::string::npos);
    store_->RemoveAction(name);
    store_->Touch(name);
  }
  EXPECT_EQ(ReadFile(dir_ / "victim"), "keep me");
  EXPECT_EQ(ReadFile(dir_ / "out"), "");
  EXPECT_EQ(Names(dir_ / "cache/ac"), std::vector<std::string>{});
  EXPECT_EQ(Names(dir_ / "cache/cas"), std::vector<std::string>{});
}

TEST_F(LocalStoreTest, TouchMarksAnEntryUsedNow) {
  const std::string key = Entry("a", "a");
  SetMtime(Ac(key), 1000);
  store_->Touch(key);
  EXPECT_GT(Mtime(Ac(key)), std::time(nullptr) - 60);
}

/// Readers running while writers replace a file see all of it or nothing, never a part.
void ExpectWholeOrNothing(const std::string& path, const std::string& content,
                          const std::atomic<bool>& stop) {
  int whole = 0, partial = 0;
  for (;;) {
    const bool last = stop;  // one more read after the writers are done: the file is whole
    const std::string seen = ReadFile(path);  // "" while missing
    if (seen == content) {
      ++whole;
    } else if (!seen.empty()) {
      ++partial;
    }
    if (last) break;
  }
  EXPECT_EQ(partial, 0) << "a reader saw a partly written file";
  EXPECT_GT(whole, 0);
}

TEST_F(LocalStoreTest, ConcurrentPutBlobsNeverShowAPartialBlob) {
  std::string content;
  for (int i = 0; content.size() < (1 << 20); ++i) content += std::to_string(i) + ",";
  const BlobRef blob = BlobOf(content);
  const std::string src = dir_ / "big";
  WriteFile(src, content);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        unlink(Cas(blob).c_str());  // so that PutBlob writes it again
        if (!store_->PutBlob(blob, src).ok()) ++failures;
      }
    });
  }
  std::thread reader([&] { ExpectWholeOrNothing(Cas(blob), content, stop); });
  for (std::thread& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Names(dir_ / "cache/cas"), std::vector<std::string>{blob.sha256});
}

TEST_F(LocalStoreTest, ConcurrentPutActionsFromProcessesNeverShowAPartialEntry) {
  const std::string key = Key("shared");
  const std::string content(512 << 10, 'e');
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failed = 0;
      for (int i = 0; i < 60; ++i) failed += store_->PutAction(key, content).ok() ? 0 : 1;
      _exit(failed == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  std::atomic<bool> stop{false};
  std::thread reader([&] { ExpectWholeOrNothing(Ac(key), content, stop); });
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(Names(dir_ / "cache/ac"), std::vector<std::string>{key});
}

TEST_F(LocalStoreTest, StatsCountsEntriesAndBlobsAndIgnoresOtherFiles) {
  auto empty = Stats(Cache());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->actions, 0u);
  EXPECT_EQ(empty->oldest_use, 0);
  const std::string a = Entry("a", "aaaa");
  const std::string b = Entry("b", "bb");
  SetMtime(Ac(a), 5000);
  SetMtime(Ac(b), 7000);
  WriteFile(dir_ / "cache/cas/.tmp-1-abc", "partial");
  WriteFile(dir_ / "cache/ac/README", "not ours");
  auto stats = Stats(Cache());
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->actions, 2u);
  EXPECT_EQ(stats->blobs, 2u);
  EXPECT_EQ(stats->bytes, 6u + ReadFile(Ac(a)).size() + ReadFile(Ac(b)).size());
  EXPECT_EQ(stats->oldest_use, 5000);
  EXPECT_EQ(stats->newest_use, 7000);
  // A directory that does not exist is an empty cache, and is not created.
  auto none = Stats(dir_ / "none");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->blobs, 0u);
  EXPECT_FALSE(Exists(dir_ / "none"));
}

class PruneTest : public LocalStoreTest {
 protected:
  static constexpr double kNow = 2'000'000'000;
  static constexpr double kDay = 86400;

  /// An entry used `age` seconds before kNow, whose blob (`size` bytes) is two hours old.
  std::string Aged(const std::string& name, double age, std::size_t size) {
    const std::string content = name + std::string(size - name.size(), '.');
    const std::string key = Entry(name, content);
    SetMtime(Ac(key), kNow - age);
    SetMtime(Cas(BlobOf(content)), kNow - 7200);
    return key;
  }
  BlobRef BlobFor(const std::string& name, std::size_t size) {
    return BlobOf(name + std::string(size - name.size(), '.'));
  }
  std::uint64_t EntryBytes(const std::string& key) { return ReadFile(Ac(key)).size(); }
  PruneResult PruneNow(PruneOptions options) {
    options.now = kNow;
    auto r = Prune(Cache(), options);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : PruneResult{};
  }
};

TEST_F(PruneTest, BySizeRemovesTheLeastRecentlyUsedAndTheirBlobs) {
  const std::string old_key = Aged("old", 3 * kDay, 1000);
  const std::string mid_key = Aged("mid", 2 * kDay, 1000);
  const std::string new_key = Aged("new", 1 * kDay, 1000);
  const std::uint64_t two = 2000 + EntryBytes(mid_key) + EntryBytes(new_key);
  PruneOptions options;
  options.max_bytes = two;
  PruneResult r = PruneNow(options);
  EXPECT_EQ(r.actions_removed, 1u);
  EXPECT_EQ(r.blobs_removed, 1u);
  EXPECT_EQ(r.bytes_freed, 1000 + EntryBytes(mid_key));  // entries are the same size
  EXPECT_FALSE(Exists(Ac(old_key)));
  EXPECT_FALSE(Exists(Cas(BlobFor("old", 1000))));
  EXPECT_TRUE(Exists(Ac(mid_key)));
  EXPECT_TRUE(Exists(Ac(new_key)));
  EXPECT_EQ(r.after.actions, 2u);
  EXPECT_EQ(r.after.bytes, two);
  // One byte less: the next least recently used goes too.
  options.max_bytes = two - 1;
  r = PruneNow(options);
  EXPECT_EQ(r.actions_removed, 1u);
  EXPECT_FALSE(Exists(Ac(mid_key)));
  EXPECT_TRUE(Exists(Ac(new_key)));
}

TEST_F(PruneTest, UsingAnEntryKeepsIt) {
  const std::string old_key = Aged("old", 3 * kDay, 100);
  const std::string mid_key = Aged("mid", 2 * kDay, 100);
  SetMtime(Ac(old_key), kNow - 60);  // as Touch does when a build uses it
  PruneOptions options;
  options.max_bytes = 100 + EntryBytes(old_key);
  PruneNow(options);
  EXPECT_TRUE(Exists(Ac(old_key)));
  EXPECT_FALSE(Exists(Ac(mid_key)));
}

TEST_F(PruneTest, ByAgeRemovesEntriesUnusedForLonger) {
  const std::string a = Aged("a", 40 * kDay, 10);
  const std::string b = Aged("b", 31 * kDay, 10);
  const std::string c = Aged("c", 29 * kDay, 10);
  PruneOptions options;
  options.older_than_seconds = 30 * kDay;
  PruneResult r = PruneNow(options);
  EXPECT_EQ(r.actions_removed, 2u);
  EXPECT_EQ(r.blobs_removed, 2u);
  EXPECT_FALSE(Exists(Ac(a)));
  EXPECT_FALSE(Exists(Ac(b)));
  EXPECT_TRUE(Exists(Ac(c)));
  EXPECT_TRUE(Exists(Cas(BlobFor("c", 10))));
}

TEST_F(PruneTest, SweepsUnreferencedBlobsButKeepsYoungAndSharedOnes) {
  const std::string keep = Aged("keep", 1 * kDay, 10);
  const BlobRef orphan = Put("orphan");
  SetMtime(Cas(orphan), kNow - 2 * 3600);
  const BlobRef young = Put("young orphan");
  SetMtime(Cas(young), kNow - 600);
  // Two entries sharing a blob: removing one does not remove the blob.
  ActionResult shared;
  shared.files.push_back({"s", Put("shared"), false});
  SetMtime(Cas(shared.files[0].blob), kNow - 7200);
  ASSERT_TRUE(store_->PutAction(Key("s1"), EncodeActionResult(shared)).ok());
  ASSERT_TRUE(store_->PutAction(Key("s2"), EncodeActionResult(shared)).ok());
  SetMtime(Ac(Key("s1")), kNow - 10 * kDay);
  SetMtime(Ac(Key("s2")), kNow - 1 * kDay);
  // Temporary files: one a dead writer left, one being written.
  WriteFile(dir_ / "cache/cas/.tmp-9-dead", "dead");
  SetMtime(dir_ / "cache/cas/.tmp-9-dead", kNow - 2 * 3600);
  WriteFile(dir_ / "cache/ac/.tmp-9-live", "live");
  SetMtime(dir_ / "cache/ac/.tmp-9-live", kNow - 60);

  PruneOptions options;
  options.older_than_seconds = 5 * kDay;
  PruneResult r = PruneNow(options);
  EXPECT_EQ(r.actions_removed, 1u);
  EXPECT_EQ(r.blobs_removed, 1u);  // the orphan
  EXPECT_FALSE(Exists(Ac(Key("s1"))));
  EXPECT_TRUE(Exists(Cas(shared.files[0].blob)));
  EXPECT_FALSE(Exists(Cas(orphan)));
  EXPECT_TRUE(Exists(Cas(young)));
  EXPECT_TRUE(Exists(Ac(keep)));
  EXPECT_TRUE(Exists(Cas(BlobFor("keep", 10))));
  EXPECT_FALSE(Exists(dir_ / "cache/cas/.tmp-9-dead"));
  EXPECT_TRUE(Exists(dir_ / "cache/ac/.tmp-9-live"));
}

TEST_F(PruneTest, SizeCountsYoungBlobsThatCannotBeSwept) {
  const std::string a = Aged("a", 2 * kDay, 100);
  const std::string b = Aged("b", 1 * kDay, 100);
  const BlobRef young = Put(std::string(500, 'y'));
  SetMtime(Cas(young), kNow - 60);
  PruneOptions options;
  options.max_bytes = 500 + 100 + EntryBytes(b);
  PruneResult r = PruneNow(options);
  EXPECT_EQ(r.actions_removed, 1u);
  EXPECT_FALSE(Exists(Ac(a)));
  EXPECT_TRUE(Exists(Ac(b)));
  EXPECT_TRUE(Exists(Cas(young)));
  // Nothing left to remove but the young blob: prune stops with the cache above the cap.
  options.max_bytes = 0;
  r = PruneNow(options);
  EXPECT_EQ(r.after.actions, 0u);
  EXPECT_EQ(r.after.blobs, 1u);
  EXPECT_EQ(r.after.bytes, 500u);
}

TEST_F(LocalStoreTest, VerifyRemovesCorruptBlobsUndecodableEntriesAndDanglingOnes) {
  const std::string good = Entry("good", "good bytes");
  const std::string dangling = Entry("dangling", "gone bytes");
  ASSERT_EQ(unlink(Cas(BlobOf("gone bytes")).c_str()), 0);
  const std::string corrupt = Entry("corrupt", "right bytes");
  WriteFile(Cas(BlobOf("right bytes")), "wrong bytes");
  const std::string garbage = Key("garbage");
  ASSERT_TRUE(store_->PutAction(garbage, "\x12\x7f").ok());

  auto r = Verify(Cache());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->blobs_checked, 2u);
  EXPECT_EQ(r->actions_checked, 4u);
  ASSERT_EQ(r->problems.size(), 4u);
  const std::string all = [&] {
    std::string s;
    for (const std::string& p : r->problems) s += p + "\n";
    return s;
  }();
  const std::string right = BlobOf("right bytes").sha256;
  EXPECT_NE(all.find("cas/" + right + ": corrupt: its sha256 is " + Sha256Hex("wrong bytes") +
                     " (11 bytes); removed"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("ac/" + dangling + ": output 'dangling' names blob " +
                     BlobOf("gone bytes").sha256 + ", which is missing; removed"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("ac/" + corrupt + ": output 'corrupt' names blob " + right), std::string::npos)
      << all;
  EXPECT_NE(all.find("ac/" + garbage + ": malformed action result: truncated"), std::string::npos)
      << all;
  EXPECT_TRUE(Exists(Ac(good)));
  EXPECT_TRUE(Exists(Cas(BlobOf("good bytes"))));
  for (const std::string& key : {dangling, corrupt, garbage}) EXPECT_FALSE(Exists(Ac(key)));
  EXPECT_FALSE(Exists(Cas(BlobOf("right bytes"))));

  auto again = Verify(Cache());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->problems, std::vector<std::string>{});
  EXPECT_EQ(again->actions_checked, 1u);
}

TEST(DefaultCacheDir, FollowsTheVariablesInOrder) {
  testing::ScopedEnv dir("FANOUT_CACHE_DIR"), xdg("XDG_CACHE_HOME"), home("HOME");
  dir.Set("/d");
  xdg.Set("/x");
  home.Set("/h");
  EXPECT_EQ(*DefaultCacheDir(), "/d");
  dir.Set("");
  EXPECT_EQ(*DefaultCacheDir(), "/x/fanout");
  xdg.Set("relative");  // the XDG specification says to ignore it
  EXPECT_EQ(*DefaultCacheDir(), "/h/.cache/fanout");
  xdg.Set(nullptr);
  EXPECT_EQ(*DefaultCacheDir(), "/h/.cache/fanout");
  home.Set(nullptr);
  auto none = DefaultCacheDir();
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("set FANOUT_CACHE_DIR"), std::string::npos);
}

}  // namespace
}  // namespace fanout::cache
