#include "fuse/report/slice_grid.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "chart_test_support.h"

namespace {

namespace fs = std::filesystem;
using fuse::report::testing::out_file;
using fuse::report::testing::pixels_of;

TEST(SliceGrid, TilesFollowTheSpacingAndShowTheMaskByClass) {
  // 10 x 10 x 4 voxels of 1 x 2 mm: axial tiles are twice as tall as wide. The mask sits on slice 3.
  std::vector<float> image(400);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(i % 10);
  std::vector<uint8_t> mask(400, 0);
  for (int y = 2; y < 6; ++y)
    for (int x = 2; x < 6; ++x) mask[static_cast<size_t>(300 + y * 10 + x)] = 1;
  const fuse_volume_view views[2] = {{image.data(), mask.data(), {10, 10, 4}, {1, 2, 1}, "case 1", nullptr, nullptr},
                                     {image.data(), nullptr, {10, 10, 4}, {1, 2, 1}, "case 2", nullptr, nullptr}};
  const fs::path path = out_file("slice_grid");
  char error[256] = "";
  ASSERT_EQ(fuse_write_slice_grid(views, 2, "axial", -1, 4, path.c_str(), error, sizeof error), 0) << error;
  const cv::Mat png = cv::imread(path.string());
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.cols, 2 * 256);
  EXPECT_EQ(png.rows, 256 + 22);
  // Tile 1: 128 pixels wide (10 mm), 256 tall (20 mm), centred; the mask (x 2-5, y 2-5) is tinted red.
  const cv::Vec3b masked = png.at<cv::Vec3b>(4 * 256 / 20 * 2 + 10, 64 + 4 * 128 / 10);
  EXPECT_GT(masked[2], masked[1] + 40);
  EXPECT_EQ(png.at<cv::Vec3b>(128, 10), cv::Vec3b(20, 20, 20));  // background beside the narrow tile
  // Another class, in its own colour: class 2 at x 7-8, y 7-8 of slice 3 is tinted green.
  for (int y = 7; y < 9; ++y)
    for (int x = 7; x < 9; ++x) mask[static_cast<size_t>(300 + y * 10 + x)] = 2;
  ASSERT_EQ(fuse_write_slice_grid(views, 1, "axial", -1, 4, path.c_str(), error, sizeof error), 0) << error;
  const cv::Vec3b second = cv::imread(path.string()).at<cv::Vec3b>(8 * 256 / 20 * 2 + 10, 64 + 8 * 128 / 10);
  EXPECT_GT(second[1], second[2] + 40);  // green over red
  EXPECT_GT(second[1], second[0] + 40);  // and blue
  fs::remove(path);
}

// A caption of several lines ("id\nloss ...\nlabel ...") makes every tile's caption band tall enough for the
// longest, and its lines are drawn (light pixels in the third line's band).
TEST(SliceGrid, CaptionsOfSeveralLinesGetATallerBand) {
  std::vector<float> image(64, 0.0f);
  const fuse_volume_view views[2] = {{image.data(), nullptr, {4, 4, 4}, {1, 1, 1}, "v1\nloss 2.5\nlabel 1  score 0.08", nullptr, nullptr},
                                     {image.data(), nullptr, {4, 4, 4}, {1, 1, 1}, "v2", nullptr, nullptr}};
  const fs::path path = out_file("slice_grid_captions");
  char error[256] = "";
  ASSERT_EQ(fuse_write_slice_grid(views, 2, "axial", -1, 2, path.c_str(), error, sizeof error), 0) << error;
  const cv::Mat png = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.rows, 256 + 6 + 3 * 16);
  double brightest = 0;
  cv::minMaxLoc(png(cv::Rect(0, 256 + 2 * 16 + 2, 256, 14)), nullptr, &brightest);
  EXPECT_GT(brightest, 150);
  cv::minMaxLoc(png(cv::Rect(256, 256 + 2 * 16 + 2, 256, 14)), nullptr, &brightest);
  EXPECT_LT(brightest, 40);  // the one-line caption leaves its third line empty
  fs::remove(path);
}

// fastMONAI's show_results: the prediction is outlined in yellow over the image (and the red mask); without a
// mask, the slice shown is the one with the largest predicted area.
TEST(SliceGrid, APredictionIsOutlinedAndChoosesTheSliceWithoutAMask) {
  // 8 x 8 x 4 voxels of 1 mm, a flat image; the prediction covers x 2-5, y 2-5 on slice 1 only.
  std::vector<float> image(256, 0.0f);
  std::vector<uint8_t> predicted(256, 0);
  for (int y = 2; y < 6; ++y)
    for (int x = 2; x < 6; ++x) predicted[static_cast<size_t>(64 + y * 8 + x)] = 1;
  const fuse_volume_view view{image.data(), nullptr, {8, 8, 4}, {1, 1, 1}, "p", predicted.data(), nullptr};
  const fs::path path = out_file("slice_grid_prediction");
  char error[256] = "";
  ASSERT_EQ(fuse_write_slice_grid(&view, 1, "axial", -1, 1, path.c_str(), error, sizeof error), 0) << error;
  const cv::Mat png = cv::imread(path.string());
  ASSERT_FALSE(png.empty());
  // 32 pixels per voxel: the outline runs along the square from pixel 64 to 191; its inside is left dark.
  const cv::Vec3b edge = png.at<cv::Vec3b>(128, 64), inside = png.at<cv::Vec3b>(128, 128), outside = png.at<cv::Vec3b>(128, 20);
  EXPECT_GT(edge[1], 200);  // yellow: green and red high, blue low
  EXPECT_GT(edge[2], 200);
  EXPECT_LT(edge[0], 60);
  EXPECT_EQ(inside, cv::Vec3b(128, 128, 128));  // a flat image: mid grey, inside and outside alike
  EXPECT_EQ(outside, cv::Vec3b(128, 128, 128));
  // Slice 2 (the middle one, which a volume without mask or prediction would show) has no outline.
  const fs::path other = out_file("slice_grid_prediction_2");
  ASSERT_EQ(fuse_write_slice_grid(&view, 1, "axial", 2, 1, other.c_str(), error, sizeof error), 0) << error;
  EXPECT_EQ(cv::imread(other.string()).at<cv::Vec3b>(128, 64), cv::Vec3b(128, 128, 128));
  fs::remove(path);
  fs::remove(other);
}

// A colour picture (R, G and B planes, one slice) is drawn in colour: a red left half, a blue right half.
TEST(SliceGrid, ColourPicturesKeepTheirColours) {
  std::vector<float> rgb(3 * 16, 0.0f);
  for (size_t i = 0; i < 16; ++i) (i % 4 < 2 ? rgb[i] : rgb[32 + i]) = 1.0f;  // R plane left, B plane right
  std::vector<float> first(rgb.begin(), rgb.begin() + 16);
  const fuse_volume_view view{first.data(), nullptr, {4, 4, 1}, {1, 1, 1}, "photo", nullptr, rgb.data()};
  const fs::path path = out_file("slice_grid_colour");
  char error[256] = "";
  ASSERT_EQ(fuse_write_slice_grid(&view, 1, "axial", -1, 1, path.c_str(), error, sizeof error), 0) << error;
  const cv::Mat png = cv::imread(path.string());
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.at<cv::Vec3b>(128, 32), cv::Vec3b(0, 0, 255));   // red (OpenCV's order: B, G, R)
  EXPECT_EQ(png.at<cv::Vec3b>(128, 224), cv::Vec3b(255, 0, 0));  // blue
  fs::remove(path);
}

TEST(SliceGrid, BadRequestsSayWhy) {
  std::vector<float> image(8, 0.0f);
  const fuse_volume_view view{image.data(), nullptr, {2, 2, 2}, {1, 1, 1}, "v", nullptr, nullptr};
  char error[256] = "";
  EXPECT_EQ(fuse_write_slice_grid(&view, 1, "oblique", -1, 4, out_file("bad").c_str(), error, sizeof error), 1);
  EXPECT_STREQ(error, "unknown plane 'oblique' (axial, coronal, sagittal)");
  EXPECT_EQ(fuse_write_slice_grid(&view, 1, "axial", -1, 4, "/no/such/folder/x.png", error, sizeof error), 1);
  EXPECT_STREQ(error, "cannot write '/no/such/folder/x.png'");
}

}  // namespace
