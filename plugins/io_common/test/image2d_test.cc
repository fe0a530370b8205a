#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::fresh_dir;
using testing::run_op;
using testing::values;

NDict read(const std::filesystem::path& p, const std::string& config = "{}") {
  NDict s;
  s.set("data.path", p.string());
  return run_op("fuse.io.read_image", config, std::move(s));
}

TEST(ReadImage, ColourBecomesRgbPlanes) {
  const auto dir = fresh_dir("image_colour");
  cv::Mat bgr(2, 3, CV_8UC3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(10 * x), static_cast<uchar>(100 + y), 200);  // B, G, R
  cv::imwrite((dir / "c.png").string(), bgr);
  const NDict s = read(dir / "c.png");
  const Tensor& t = s.get<Tensor>("data.image");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{3, 2, 3}));
  const std::vector<uint8_t> v = values<uint8_t>(t);
  EXPECT_EQ(v[0], 200);       // R plane first
  EXPECT_EQ(v[6 + 3], 101);   // G at (y 1, x 0)
  EXPECT_EQ(v[12 + 2], 20);   // B at (y 0, x 2)
  const NDict gray = read(dir / "c.png", R"({"mode": "gray", "to_float": true})");
  EXPECT_EQ(gray.get<Tensor>("data.image").shape(), (std::vector<int64_t>{1, 2, 3}));
  const float g = values<float>(gray.get<Tensor>("data.image"))[0];
  EXPECT_GT(g, 0.0f);
  EXPECT_LT(g, 1.0f);
}

TEST(ReadImage, SixteenBitGrayWidens) {
  const auto dir = fresh_dir("image_16");
  cv::Mat m(1, 2, CV_16UC1);
  m.at<uint16_t>(0, 0) = 40000;
  m.at<uint16_t>(0, 1) = 7;
  cv::imwrite((dir / "x.png").string(), m);
  EXPECT_EQ(values<int32_t>(read(dir / "x.png").get<Tensor>("data.image")), (std::vector<int32_t>{40000, 7}));
}

TEST(ReadImage, MissingAndBrokenFilesAreNamed) {
  const auto dir = fresh_dir("image_bad");
  std::ofstream(dir / "bad.png") << "not a png";
  EXPECT_EQ(error_of([&] { read(dir / "bad.png"); }),
            "op 'fuse.io.read_image' (plugin 'fuse.io_common'): cannot decode '" + (dir / "bad.png").string() + "' as an image (PNG, JPEG, BMP, TIFF)");
  EXPECT_EQ(error_of([&] { read(dir / "none.png"); }),
            "op 'fuse.io.read_image' (plugin 'fuse.io_common'): file not found: '" + (dir / "none.png").string() + "'");
}

}  // namespace
}  // namespace fuse
