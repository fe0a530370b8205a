#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::fresh_dir;
using testing::run_op;

// A label map of 0, 1 and 2 as a [1, height, width] uint8 tensor: column x holds (x * 3) / width.
Tensor stripes(int width, int height) {
  std::vector<uint8_t> v;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) v.push_back(static_cast<uint8_t>(x * 3 / width));
  return Tensor::from_vector<uint8_t>(v, {1, height, width});
}

TEST(WriteImage, ALabelMapGoesBackToItsPhotographsSizeInTheMasksValues) {
  const auto dir = fresh_dir("write_image");
  // A 12 x 6 photograph; its label map letterboxed into 8 x 8 (scaled by 2/3, rows 2 and 5 of padding at the
  // top and bottom), as fuse.image2d.resize_and_pad does, then written back.
  cv::imwrite((dir / "photo.png").string(), cv::Mat(6, 12, CV_8UC3, cv::Scalar(90, 120, 200)));
  NDict s;
  s.set("data.image", (dir / "photo.png").string());
  s.set("data.out", (dir / "out").string());
  s.set("model.seg", Value(stripes(12, 6)));
  s = run_op("fuse.image2d.resize_and_pad", R"({"labels": ["model.seg"], "size": [8, 8]})", std::move(s));
  ASSERT_EQ(s.get<Tensor>("model.seg").shape(), (std::vector<int64_t>{1, 8, 8}));
  run_op("fuse.io.write_image", R"({"key": "model.seg", "path": "{data.out}/mask.png", "values": [0, 100, 200], "undo_resize_and_pad": [8, 8],
                                    "size_from": "data.image"})",
         s);
  const cv::Mat back = cv::imread((dir / "out" / "mask.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(back.type(), CV_8UC1);
  ASSERT_EQ(back.cols, 12);
  ASSERT_EQ(back.rows, 6);
  // Nearest neighbour both ways: the stripes' insides keep their class; a boundary moves by at most one pixel.
  for (int y = 0; y < 6; ++y) {
    EXPECT_EQ(back.at<uint8_t>(y, 0), 0);
    EXPECT_EQ(back.at<uint8_t>(y, 6), 100);
    EXPECT_EQ(back.at<uint8_t>(y, 11), 200);
  }
  // Without an undo: the tensor's own size, values as they are; above 255, 16-bit.
  NDict big;
  big.set("model.seg", Value(Tensor::from_vector<int32_t>({0, 300, 7, 1}, {2, 2})));
  run_op("fuse.io.write_image", R"({"path": ")" + (dir / "big.png").string() + "\"}", big);
  const cv::Mat wide = cv::imread((dir / "big.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(wide.type(), CV_16UC1);
  EXPECT_EQ(wide.at<uint16_t>(0, 1), 300);
  EXPECT_EQ(wide.at<uint16_t>(1, 0), 7);
}

TEST(WriteImage, BadInputsAreNamed) {
  const auto dir = fresh_dir("write_image_bad");
  const std::string op = "op 'fuse.io.write_image' (plugin 'fuse.io_common'): ";
  const std::string path = (dir / "m.png").string();
  const auto write = [&](Tensor t, const std::string& extra = "") {
    NDict s;
    s.set("model.seg", Value(std::move(t)));
    s.set("data.image", (dir / "none.png").string());
    return error_of([&] { run_op("fuse.io.write_image", R"({"path": ")" + path + "\"" + extra + "}", s); });
  };
  EXPECT_EQ(write(stripes(4, 2), R"(, "values": [0, 255])"), op + "key 'model.seg' holds 2.000000, which is not a class of 'values' (0 to 1)");
  EXPECT_EQ(write(Tensor::from_vector<float>(std::vector<float>(8, 1.0f), {2, 2, 2})),
            op + "key 'model.seg' is [2, 2, 2]; a picture is [height, width] or [1 or 3 channels, height, width]");
  EXPECT_EQ(write(Tensor::from_vector<int32_t>({-1, 0}, {1, 2})), op + "key 'model.seg' holds -1.000000: a picture holds no negative values");
  EXPECT_EQ(write(stripes(4, 2), R"(, "undo_resize_and_pad": [8, 8])"),
            op + "create failed: 'undo_resize_and_pad' needs 'size_from': the key of the photograph's path, whose size to go back to");
  EXPECT_EQ(write(stripes(4, 2), R"(, "undo_resize_and_pad": [8, 8], "size_from": "data.image")"),
            op + "key 'model.seg' is 4x2, not the resize's 8x8 ('undo_resize_and_pad')");
  EXPECT_EQ(write(stripes(8, 8), R"(, "undo_resize_and_pad": [8, 8], "size_from": "data.image")"),
            op + "cannot read '" + (dir / "none.png").string() + "' ('size_from'), whose size to go back to");
  NDict s;
  s.set("model.seg", Value(stripes(4, 2)));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_image", R"({"path": ")" + (dir / "m.unknown").string() + "\"}", s); }),
            op + "cannot write '" + (dir / "m.unknown").string() + "': OpenCV has no writer for its extension (.png, .bmp, .tif, .jpg)");
}

}  // namespace
}  // namespace fuse
