#include "fuse/report/curves.h"

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

TEST(Curves, OneLineInItsOwnColourPerRun) {
  const std::vector<double> epochs{1, 2, 3, 4, 5, 6}, a{0.6, 0.7, 0.8, 0.85, 0.86, 0.87}, b{0.5, NAN, 0.75, 0.8, 0.9, 0.91};  // b: an epoch undefined
  const fuse_curve curves[2] = {{epochs.data(), a.data(), a.size(), "runs/a"}, {epochs.data(), b.data(), b.size(), "runs/b"}};
  const fs::path path = out_file("curves");
  char error[256] = "";
  ASSERT_EQ(fuse_write_curves(curves, 2, "validation auc", "epoch", "auc", path.c_str(), error, sizeof error), 0) << error;
  const cv::Mat png = cv::imread(path.string());
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.cols, 720);
  EXPECT_EQ(png.rows, 540);
  EXPECT_GT(pixels_of(png, cv::Vec3b(180, 100, 30)), 200);  // the first palette colour: runs/a's line and legend
  EXPECT_GT(pixels_of(png, cv::Vec3b(40, 130, 240)), 200);  // the second: runs/b's
  EXPECT_EQ(pixels_of(png, cv::Vec3b(60, 160, 60)), 0);     // no third run
  fs::remove(path);
}

TEST(Curves, BadRequestsSayWhy) {
  const std::vector<double> x{1, 2}, nan{NAN, NAN}, y{0.5, 0.5};
  char error[256] = "";
  EXPECT_EQ(fuse_write_curves(nullptr, 0, "t", "epoch", "auc", out_file("bad").c_str(), error, sizeof error), 1);
  EXPECT_STREQ(error, "no curve to draw");
  const fuse_curve empty{x.data(), nan.data(), 2, "runs/stopped"};
  EXPECT_EQ(fuse_write_curves(&empty, 1, "t", "epoch", "auc", out_file("bad").c_str(), error, sizeof error), 1);
  EXPECT_STREQ(error, "'runs/stopped' has no finite point to draw");
  const fuse_curve flat{x.data(), y.data(), 2, "flat"};  // a constant value draws
  EXPECT_EQ(fuse_write_curves(&flat, 1, "t", "epoch", "auc", "/no/such/folder/c.png", error, sizeof error), 1);
  EXPECT_STREQ(error, "cannot write '/no/such/folder/c.png'");
}

}  // namespace
