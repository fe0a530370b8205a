#include "fuse/data/sample_source.h"

#include <gtest/gtest.h>

#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using testing::write_file;

TEST(TableSource, ColumnsBecomeDataKeysWithTypedValues) {
  const auto dir = fresh_dir("source_table");
  write_file(dir / "train.csv", "id,path,label,age,note\np1,a.nii.gz,1,61.5,\np2,b.nii.gz,0,70,x y\n");
  const std::vector<Sample> s = read_table_source(TableSource{dir / "train.csv", "", {{"label", "target"}}, {}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "p1");
  EXPECT_EQ(s[1].id, "p2");
  EXPECT_EQ(s[0].values.get<std::string>("data.path"), "a.nii.gz");
  EXPECT_EQ(s[0].values.get<int64_t>("target"), 1);  // mapped column
  EXPECT_FALSE(s[0].values.has("data.label"));
  EXPECT_DOUBLE_EQ(s[0].values.get<double>("data.age"), 61.5);
  EXPECT_EQ(s[1].values.get<int64_t>("data.age"), 70);
  EXPECT_TRUE(s[0].values.at("data.note").is_null());
  EXPECT_EQ(s[1].values.get<std::string>("data.note"), "x y");
  EXPECT_EQ(s[1].origin, "row 2 of " + (dir / "train.csv").string());
}

TEST(TableSource, TabSeparatedWithRowNumbersAsIds) {
  const auto dir = fresh_dir("source_tsv");
  write_file(dir / "t.tsv", "path\tlabel\na.png\t3\nb.png\t4\n");
  const std::vector<Sample> s = read_table_source(TableSource{dir / "t.tsv", "", {}, {}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "1");
  EXPECT_EQ(s[1].id, "2");
  EXPECT_EQ(s[1].values.get<int64_t>("data.label"), 4);
}

TEST(TableSource, BadTablesAreNamed) {
  const auto dir = fresh_dir("source_bad");
  const auto file = dir / "t.csv";
  write_file(file, "id,path\na,x\na,y\n");
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "", {}, {}}); }),
            "row 2 of " + file.string() + ": sample id 'a' appears twice");
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "", {{"pth", "data.image"}}, {}}); }),
            file.string() + ": no column 'pth'; did you mean 'path'? (columns: id, path)");
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "case", {}, {}}); }),
            file.string() + ": no id column 'case' (columns: id, path)");
}

TEST(GlobSource, MatchingFilesSortedWithStemIds) {
  const auto dir = fresh_dir("source_glob");
  for (const char* f : {"b.nii.gz", "a.nii.gz", "notes.txt"}) write_file(dir / f, "x");
  std::filesystem::create_directories(dir / "site2");
  write_file(dir / "site2" / "c.nii.gz", "x");
  const std::vector<Sample> flat = read_glob_source(GlobSource{dir, "*.nii.gz", "data.image"});
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].id, "a");
  EXPECT_EQ(flat[1].id, "b");
  EXPECT_EQ(flat[0].values.get<std::string>("data.image"), (dir / "a.nii.gz").string());
  const std::vector<Sample> deep = read_glob_source(GlobSource{dir, "**/*.nii.gz", "data.path"});
  ASSERT_EQ(deep.size(), 3u);
  EXPECT_EQ(deep[2].id, "site2/c");
}

TEST(GlobSource, NothingToReadIsAnError) {
  const auto dir = fresh_dir("source_glob_empty");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir, "*.nrrd", "data.path"}); }),
            "no file in '" + dir.string() + "' matches '*.nrrd'");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir / "nope", "*", "data.path"}); }),
            "sample folder '" + (dir / "nope").string() + "' does not exist or is not a folder");
}

TEST(IdsSource, OneSamplePerId) {
  const std::vector<Sample> s = ids_source({"7", "9"}, "data.mnist_index");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].id, "9");
  EXPECT_EQ(s[1].values.get<std::string>("data.mnist_index"), "9");
}

}  // namespace
}  // namespace fuse::data
