// report/progress.h: the log follower of `fanout build -v`.
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "base/build_layout.h"
#include "report/progress.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

// ---- following logs (fanout build -v) -------------------------------------------------------

TEST(LogFollower, StreamsNewLinesPrefixedAndSkipsLogsOfEarlierBuilds) {
  tu::TempDir dir;
  const double now = static_cast<double>(time(nullptr));
  tu::WriteFile(dir / layout::LogPath("old"), "from an earlier build\n");
  SetMTime(dir / layout::LogPath("old"), now - 100);
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  ASSERT_NE(out, nullptr);
  {
    LogFollower f(dir.path(), {"api", "old", "webapp"}, now - 1, out);
    f.Poll();
    tu::WriteFile(dir / layout::LogPath("api"), "one\ntw");
    f.Poll();
    tu::WriteFile(dir / layout::LogPath("api"), "one\ntwo\n");
    tu::WriteFile(dir / layout::LogPath("webapp"), "\x1b[32mgreen\x1b[0m\n");
    f.Poll();
    tu::WriteFile(dir / layout::LogPath("api"), "again\n");  // truncated: a new run
    tu::WriteFile(dir / layout::LogPath("webapp"), "\x1b[32mgreen\x1b[0m\nunterminated");
    f.Poll();
    f.Flush();
  }
  std::fclose(out);
  std::string text(buf, len);
  std::free(buf);
  EXPECT_EQ(text,
            "api    | one\n"
            "api    | two\n"
            "webapp | green\n"
            "api    | again\n"
            "webapp | unterminated\n");
}

TEST(LogFollower, ThreadStartsAndStops) {
  tu::TempDir dir;
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  {
    LogFollower f(dir.path(), {"a"}, static_cast<double>(time(nullptr)) - 1, out);
    f.Start(10);
    tu::WriteFile(dir / layout::LogPath("a"), "hello\nbye");
    f.Stop();
    f.Stop();  // idempotent
  }
  std::fclose(out);
  EXPECT_EQ(std::string(buf, len), "a | hello\na | bye\n");
  std::free(buf);
}

}  // namespace
}  // namespace fanout
