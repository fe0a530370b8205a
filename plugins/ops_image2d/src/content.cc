// Where the content of a 2D image is (mammograms, X-rays, slides on a dark background): FuseMedML's
// OpFlipBrightSideOnLeft2D (one breast side for all images) and OpFindBiggestNonEmptyBbox2D (crop to the
// largest object above a threshold). Both are deterministic: static-pipeline steps.
#include <opencv2/imgproc.hpp>

#include "planes.h"

namespace fuse::ops_image2d {
namespace {

using sdk::Dict;
using sdk::DictView;

// The first image key, which decides for every key.
const std::string& guide(const ImageKeys& keys) {
  if (keys.images.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "name the image that decides in 'keys' (labels follow it)");
  return keys.images.front();
}

class FlipBrightSideLeft {
 public:
  explicit FlipBrightSideLeft(const DictView& config) : keys_(config), flipped_key_(config.find_string("flipped_key").value_or("")) { guide(keys_); }

  void forward(Dict& sample, const sdk::Call&) {
    const cv::Size size = keys_.size(sample);
    const std::vector<double> x = sample.tensor(guide(keys_)).to_doubles();
    // The two halves' sums over every plane (an odd width's middle column belongs to neither).
    double left = 0, right = 0;
    const size_t w = static_cast<size_t>(size.width), half = w / 2;
    for (size_t i = 0; i < x.size(); ++i) {
      const size_t column = i % w;
      if (column < half) left += x[i];
      else if (column >= w - half) right += x[i];
    }
    const bool flip = right > left;
    if (flip)
      for (const auto* keys : {&keys_.images, &keys_.labels})
        for (const std::string& k : *keys) map_planes(sample, k, size, [](const cv::Mat& a, cv::Mat& b) { cv::flip(a, b, 1); });
    if (!flipped_key_.empty()) sample.set_bool(flipped_key_, flip);
  }

 private:
  ImageKeys keys_;
  std::string flipped_key_;
};
FUSE_OP(FlipBrightSideLeft, "fuse.image2d.flip_bright_side_left", "1.0.0")

class CropToContent {
 public:
  explicit CropToContent(const DictView& config)
      : keys_(config),
        threshold_(config.get_double("threshold")),
        margin_(config.get_int("margin")),
        largest_(config.get_bool("largest")),
        bbox_key_(config.find_string("bbox_key").value_or("")) {
    guide(keys_);
    if (margin_ < 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'margin' must be >= 0 pixels, got " + std::to_string(margin_));
  }

  void forward(Dict& sample, const sdk::Call&) {
    const cv::Size size = keys_.size(sample);
    const std::vector<double> x = sample.tensor(guide(keys_)).to_doubles();
    // Content: a pixel above the threshold in any plane.
    cv::Mat mask = cv::Mat::zeros(size, CV_8U);
    const size_t plane = static_cast<size_t>(size.area());
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i] > threshold_) mask.data[i % plane] = 1;
    cv::Rect box(0, 0, size.width, size.height);  // no content: the whole image
    if (cv::countNonZero(mask) > 0) {
      if (largest_) {
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
        int best = 1;
        for (int c = 2; c < n; ++c)
          if (stats.at<int>(c, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = c;
        box = cv::Rect(stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP), stats.at<int>(best, cv::CC_STAT_WIDTH),
                       stats.at<int>(best, cv::CC_STAT_HEIGHT));
      } else {
        box = cv::boundingRect(mask);
      }
      const int m = static_cast<int>(margin_);
      box = cv::Rect(box.x - m, box.y - m, box.width + 2 * m, box.height + 2 * m) & cv::Rect(0, 0, size.width, size.height);
    }
    for (const auto* keys : {&keys_.images, &keys_.labels})
      for (const std::string& k : *keys) map_planes(sample, k, box.size(), [&](const cv::Mat& a, cv::Mat& b) { a(box).copyTo(b); });
    if (!bbox_key_.empty()) {
      sdk::Tensor b = sdk::Tensor::empty({4}, sdk::kInt64);
      int64_t* v = b.data<int64_t>();
      v[0] = box.x, v[1] = box.y, v[2] = box.width, v[3] = box.height;
      sample.set_tensor(bbox_key_, std::move(b));
    }
  }

 private:
  ImageKeys keys_;
  double threshold_;
  int64_t margin_;
  bool largest_;
  std::string bbox_key_;
};
FUSE_OP(CropToContent, "fuse.image2d.crop_to_content", "1.0.0")

}  // namespace
}  // namespace fuse::ops_image2d
