// ReadFile (base/file_util.h) on files whose size is not known ahead: a FIFO and an empty file,
// as /proc and an empty /etc/subuid are read.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "base/file_util.h"

namespace fanout {
namespace {

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fanout-read-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_;
};

TEST_F(ReadFileTest, AnEmptyFileIsEmpty) {
  const std::string path = dir_ + "/empty";
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "");
}

TEST_F(ReadFileTest, AStreamLongerThanItsStartIsReadWhole) {
  // A FIFO says its size is 0, as /proc files do: the buffer grows from its start (a page)
  // until the writer is done. 300 kB with no repeat at a power of two.
  std::string expected;
  for (int i = 0; expected.size() < 300000; ++i) expected += std::to_string(i) + ",";
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  const pid_t writer = fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    const int fd = open(path.c_str(), O_WRONLY);
    _exit(fd >= 0 && WriteAllToFd(fd, expected) == 0 ? 0 : 1);
  }
  auto text = ReadFile(path);
  int status = 0;
  ASSERT_EQ(waitpid(writer, &status, 0), writer);
  EXPECT_EQ(status, 0);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->size(), expected.size());
  EXPECT_EQ(*text, expected);
}

}  // namespace
}  // namespace fanout
