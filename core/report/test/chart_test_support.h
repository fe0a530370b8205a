// What the report library's tests share: where a chart goes, and how many of its pixels have a colour.
#ifndef FUSE_REPORT_TEST_CHART_TEST_SUPPORT_H_
#define FUSE_REPORT_TEST_CHART_TEST_SUPPORT_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

namespace fuse::report::testing {

// A PNG path in the temporary folder, named for the test and the process.
inline std::filesystem::path out_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".png");
}

// Pixels of exactly this BGR colour.
inline int pixels_of(const cv::Mat& image, cv::Vec3b colour) {
  int n = 0;
  for (int y = 0; y < image.rows; ++y)
    for (int x = 0; x < image.cols; ++x) n += image.at<cv::Vec3b>(y, x) == colour;
  return n;
}

}  // namespace fuse::report::testing

#endif  // FUSE_REPORT_TEST_CHART_TEST_SUPPORT_H_
