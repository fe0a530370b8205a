#include <gtest/gtest.h>

#include <fstream>

#include <zlib.h>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::fresh_dir;
using testing::run_op;
using testing::values;

// Three 2 x 2 images with pixel values 10 * item + position, and their labels 7, 8, 9.
std::string images() { return std::string("\0\0\x08\x03\0\0\0\x03\0\0\0\x02\0\0\0\x02", 16) + std::string("\x00\x01\x02\x03\x0a\x0b\x0c\x0d\x14\x15\x16\x17", 12); }
std::string labels() { return std::string("\0\0\x08\x01\0\0\0\x03\x07\x08\x09", 11); }

NDict item(const std::string& file, int64_t index, const std::string& key = "data.image") {
  NDict s;
  s.set("data.sample_id", std::to_string(index));
  return run_op("fuse.io.read_idx", R"({"file": ")" + file + R"(", "key": ")" + key + "\"}", std::move(s));
}

TEST(ReadIdx, ImagesAndLabelsPlainOrGzip) {
  const auto dir = fresh_dir("idx");
  std::ofstream(dir / "images", std::ios::binary) << images();
  std::ofstream(dir / "labels", std::ios::binary) << labels();
  gzFile gz = gzopen((dir / "images.gz").c_str(), "wb");
  gzwrite(gz, images().data(), static_cast<unsigned>(images().size()));
  gzclose(gz);
  const NDict two = item((dir / "images").string(), 2);
  EXPECT_EQ(two.get<Tensor>("data.image").shape(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(values<uint8_t>(two.get<Tensor>("data.image")), (std::vector<uint8_t>{20, 21, 22, 23}));
  EXPECT_EQ(values<uint8_t>(item((dir / "images.gz").string(), 1).get<Tensor>("data.image")), (std::vector<uint8_t>{10, 11, 12, 13}));
  EXPECT_EQ(item((dir / "labels").string(), 1, "data.label").get<int64_t>("data.label"), 8);
}

TEST(ReadIdx, BadItemsAndFilesAreNamed) {
  const auto dir = fresh_dir("idx_bad");
  std::ofstream(dir / "images", std::ios::binary) << images();
  std::ofstream(dir / "cut", std::ios::binary) << images().substr(0, 20);
  const std::string prefix = "op 'fuse.io.read_idx' (plugin 'fuse.io_common'): ";
  EXPECT_EQ(error_of([&] { item((dir / "images").string(), 3); }),
            prefix + "item 3 is out of range: '" + (dir / "images").string() + "' holds 3");
  EXPECT_EQ(error_of([&] { item((dir / "cut").string(), 0); }),
            prefix + "'" + (dir / "cut").string() + "' is truncated: 4 of 12 bytes of data");
  EXPECT_EQ(error_of([&] { item((dir / "none").string(), 0); }), prefix + "file not found: '" + (dir / "none").string() + "'");
}

}  // namespace
}  // namespace fuse
