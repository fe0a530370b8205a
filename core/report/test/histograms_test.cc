#include "fuse/report/histograms.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "chart_test_support.h"

namespace {

namespace fs = std::filesystem;
using fuse::report::testing::out_file;
using fuse::report::testing::pixels_of;

TEST(Histograms, OneLineInItsOwnColourPerImage) {
  std::vector<float> a(1000), b(1000);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) / 10, b[i] = 50 + static_cast<float>(i) / 10;
  b[3] = NAN;  // not counted, not an error
  const fuse_value_series series[2] = {{a.data(), a.size(), "case 1"}, {b.data(), b.size(), "case 2"}};
  const fs::path path = out_file("histograms");
  char error[256] = "";
  ASSERT_EQ(fuse_write_histograms(series, 2, 50, "data.ct", path.c_str(), error, sizeof error), 0) << error;
  const cv::Mat png = cv::imread(path.string());
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.cols, 720);
  EXPECT_EQ(png.rows, 540);
  EXPECT_GT(pixels_of(png, cv::Vec3b(180, 100, 30)), 200);  // the first palette colour: case 1's line and legend
  EXPECT_GT(pixels_of(png, cv::Vec3b(40, 130, 240)), 200);  // the second: case 2's
  EXPECT_EQ(pixels_of(png, cv::Vec3b(60, 160, 60)), 0);     // no third series
  fs::remove(path);
}

TEST(Histograms, BadRequestsSayWhy) {
  std::vector<float> nan(4, NAN), one(4, 1.0f);
  char error[256] = "";
  const fuse_value_series empty{nan.data(), nan.size(), "case 7"};
  EXPECT_EQ(fuse_write_histograms(&empty, 1, 50, "t", out_file("bad").c_str(), error, sizeof error), 1);
  EXPECT_STREQ(error, "'case 7' has no finite value to draw");
  EXPECT_EQ(fuse_write_histograms(nullptr, 0, 50, "t", out_file("bad").c_str(), error, sizeof error), 1);
  EXPECT_STREQ(error, "no image to draw a histogram of");
  const fuse_value_series constant{one.data(), one.size(), "flat"};
  EXPECT_EQ(fuse_write_histograms(&constant, 1, 1, "t", out_file("bad").c_str(), error, sizeof error), 1);
  EXPECT_STREQ(error, "a histogram needs at least 2 bins, got 1");
  EXPECT_EQ(fuse_write_histograms(&constant, 1, 50, "t", "/no/such/folder/h.png", error, sizeof error), 1);  // a constant image draws
  EXPECT_STREQ(error, "cannot write '/no/such/folder/h.png'");
}

}  // namespace
