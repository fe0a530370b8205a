#include "fuse/base/file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "fuse/base/error.h"
#include "temp_dirs.h"

namespace fuse {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) { return fuse::testing::TempDirs::get().make("file_" + name); }

TEST(WriteFileAtomically, WritesAndReplacesLeavingNoTemporaryFile) {
  const fs::path dir = fresh_dir("replace");
  write_file_atomically(dir / "a.json", "first");
  write_file_atomically(dir / "a.json", std::string("sec\0nd", 6));
  EXPECT_EQ(read(dir / "a.json"), std::string("sec\0nd", 6));
  write_file_atomically(dir / "a.json", {"head|", "", "body|", "tail"});  // parts, written in order
  EXPECT_EQ(read(dir / "a.json"), "head|body|tail");
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir)) files += f.is_regular_file();
  EXPECT_EQ(files, 1u);
}

// Writers of the same file at once (ranks creating one folds file): every reader sees one writer's whole text.
TEST(WriteFileAtomically, ConcurrentWritersLeaveOneWholeFile) {
  const fs::path dir = fresh_dir("concurrent");
  const fs::path file = dir / "folds.json";
  write_file_atomically(file, std::string(100000, 'a'));
  std::vector<std::thread> writers;
  for (char c : {'b', 'c', 'd', 'e'})
    writers.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) write_file_atomically(file, std::string(100000, c));
    });
  bool whole = true;
  for (int i = 0; i < 200; ++i) {
    const std::string text = read(file);
    whole = whole && text.size() == 100000 && text.find_first_not_of(text[0]) == std::string::npos;
  }
  for (std::thread& t : writers) t.join();
  EXPECT_TRUE(whole);
  const std::string last = read(file);
  EXPECT_EQ(last.size(), 100000u);
  EXPECT_NE(std::string("bcde").find(last[0]), std::string::npos);
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir)) files += f.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(WriteFileAtomically, AFolderThatDoesNotExistIsNamed) {
  try {
    write_file_atomically("/no/such/folder/x.json", "{}");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kIo);
    EXPECT_STREQ(e.what(), "cannot write '/no/such/folder/x.json': No such file or directory");
  }
}

}  // namespace
}  // namespace fuse
