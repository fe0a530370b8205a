// Resize, resize-and-pad, crop, random resized crop and random affine for 2D images through OpenCV: every
// listed key gets the same geometry (images interpolated, labels nearest).
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "letterbox/letterbox.h"
#include "planes.h"

namespace fuse::ops_image2d {
namespace {

using sdk::Dict;
using sdk::DictView;

constexpr double kPi = 3.14159265358979323846;

cv::Size size_option(const DictView& config) {
  const std::vector<int64_t> v = config.get_ints("size");
  if (v.size() != 2 || v[0] <= 0 || v[1] <= 0)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'size' must be [width, height], both positive");
  return cv::Size(static_cast<int>(v[0]), static_cast<int>(v[1]));
}

std::pair<double, double> range_option(const DictView& config, const std::string& name) {
  const std::vector<double> v = config.get_doubles(name);
  if (v.size() != 2 || !(v[0] <= v[1])) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'" + name + "' must be a range [low, high] with low <= high");
  return {v[0], v[1]};
}

int interpolation_of(const std::string& name) {
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "cubic") return cv::INTER_CUBIC;
  if (name == "area") return cv::INTER_AREA;
  return cv::INTER_LINEAR;
}

class Resize {
 public:
  explicit Resize(const DictView& config)
      : keys_(config), size_(size_option(config)), interpolation_(interpolation_of(config.get_string("interpolation"))) {
    cv::setNumThreads(0);
  }

  void forward(Dict& sample, const sdk::Call&) {
    keys_.size(sample);
    for (const std::string& k : keys_.images)
      map_planes(sample, k, size_, [&](const cv::Mat& in, cv::Mat& out) { cv::resize(in, out, size_, 0, 0, interpolation_); });
    for (const std::string& k : keys_.labels)
      map_planes(sample, k, size_, [&](const cv::Mat& in, cv::Mat& out) { cv::resize(in, out, size_, 0, 0, cv::INTER_NEAREST); });
  }

 private:
  ImageKeys keys_;
  cv::Size size_;
  int interpolation_;
};
FUSE_OP(Resize, "fuse.image2d.resize", "1.0.0")

// FuseMedML's OpResizeAndPad2D (a letterbox): the largest size with the image's aspect ratio that fits, then
// padding to `size`, centred or from the top left.
class ResizeAndPad {
 public:
  explicit ResizeAndPad(const DictView& config)
      : keys_(config),
        size_(size_option(config)),
        interpolation_(interpolation_of(config.get_string("interpolation"))),
        centred_(config.get_string("position") == "center"),
        fill_(config.get_double("fill")) {
    cv::setNumThreads(0);
  }

  void forward(Dict& sample, const sdk::Call&) {
    const cv::Size in = keys_.size(sample);
    const letterbox::Place p = letterbox::place(in.width, in.height, size_.width, size_.height, centred_);
    const cv::Size fitted(p.width, p.height);
    const cv::Rect place(p.x, p.y, p.width, p.height);
    auto fit = [&](int interpolation, double fill) {
      return [&, interpolation, fill](const cv::Mat& a, cv::Mat& b) {
        b.setTo(cv::Scalar::all(fill));
        cv::Mat resized;
        cv::resize(a, resized, fitted, 0, 0, interpolation);
        resized.copyTo(b(place));
      };
    };
    for (const std::string& k : keys_.images) map_planes(sample, k, size_, fit(interpolation_, fill_));
    for (const std::string& k : keys_.labels) map_planes(sample, k, size_, fit(cv::INTER_NEAREST, 0));
  }

 private:
  ImageKeys keys_;
  cv::Size size_;
  int interpolation_;
  bool centred_;
  double fill_;
};
FUSE_OP(ResizeAndPad, "fuse.image2d.resize_and_pad", "1.0.0")

// torchvision's RandomResizedCrop (FuseMedML's OpAugCropAndResize2D): a window of a random share of the area
// and aspect ratio, resized to `size` (default: the input's size). Outside training, or when not drawn, the
// whole image is resized.
class RandomResizedCrop {
 public:
  explicit RandomResizedCrop(const DictView& config)
      : keys_(config),
        scale_(range_option(config, "scale")),
        ratio_(range_option(config, "ratio")),
        interpolation_(interpolation_of(config.get_string("interpolation"))),
        p_(config.get_double("p")) {
    if (!config.is_unset("size")) size_ = size_option(config);
    if (scale_.first <= 0 || scale_.second > 1) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scale' is a share of the area: it must lie in (0, 1]");
    if (ratio_.first <= 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'ratio' (width / height) must stay above 0");
    cv::setNumThreads(0);
  }

  void forward(Dict& sample, const sdk::Call& call) {
    const cv::Size in = keys_.size(sample);
    const cv::Size out = size_.area() > 0 ? size_ : in;
    sdk::Random rng(call.seed());
    const cv::Rect window = call.training() && rng.chance(p_) ? draw(in, rng) : cv::Rect(0, 0, in.width, in.height);
    auto crop = [&](int interpolation) {
      return [&, interpolation](const cv::Mat& a, cv::Mat& b) { cv::resize(a(window), b, out, 0, 0, interpolation); };
    };
    for (const std::string& k : keys_.images) map_planes(sample, k, out, crop(interpolation_));
    for (const std::string& k : keys_.labels) map_planes(sample, k, out, crop(cv::INTER_NEAREST));
  }

 private:
  // Up to 10 tries at a window inside the image; else the largest centred window within the ratio range.
  cv::Rect draw(cv::Size in, sdk::Random& rng) const {
    const double area = static_cast<double>(in.area());
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target = area * rng.uniform(scale_.first, scale_.second);
      const double aspect = std::exp(rng.uniform(std::log(ratio_.first), std::log(ratio_.second)));
      const int w = static_cast<int>(std::lround(std::sqrt(target * aspect))), h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
      if (w <= 0 || h <= 0 || w > in.width || h > in.height) continue;
      const int x = static_cast<int>(rng.below(static_cast<uint64_t>(in.width - w) + 1));
      const int y = static_cast<int>(rng.below(static_cast<uint64_t>(in.height - h) + 1));
      return cv::Rect(x, y, w, h);
    }
    const double ratio = static_cast<double>(in.width) / in.height;
    int w = in.width, h = in.height;
    if (ratio < ratio_.first) h = std::max(1, static_cast<int>(std::lround(w / ratio_.first)));
    else if (ratio > ratio_.second) w = std::max(1, static_cast<int>(std::lround(h * ratio_.second)));
    return cv::Rect((in.width - w) / 2, (in.height - h) / 2, w, h);
  }

  ImageKeys keys_;
  std::pair<double, double> scale_, ratio_;
  cv::Size size_;
  int interpolation_;
  double p_;
};
FUSE_OP(RandomResizedCrop, "fuse.image2d.random_resized_crop", "1.0.0")

// Copies the window at (x0, y0) of size `out` from `in`, `fill` outside it.
void window(const cv::Mat& in, cv::Mat& out, int x0, int y0, double fill) {
  out.setTo(cv::Scalar::all(fill));
  const cv::Rect source = cv::Rect(x0, y0, out.cols, out.rows) & cv::Rect(0, 0, in.cols, in.rows);
  if (source.empty()) return;
  in(source).copyTo(out(cv::Rect(source.x - x0, source.y - y0, source.width, source.height)));
}

class Crop {
 public:
  explicit Crop(const DictView& config)
      : keys_(config), size_(size_option(config)), random_(config.get_string("mode") == "random"), fill_(config.get_double("fill")) {}

  void forward(Dict& sample, const sdk::Call& call) {
    const cv::Size in = keys_.size(sample);
    sdk::Random rng(call.seed());
    auto start = [&](int n, int want) {
      const int extra = n - want;  // > 0: crop, < 0: pad
      const int range = std::abs(extra);
      const int offset = random_ ? static_cast<int>(rng.below(static_cast<uint64_t>(range) + 1)) : range / 2;
      return extra >= 0 ? offset : -offset;
    };
    const int x0 = start(in.width, size_.width), y0 = start(in.height, size_.height);
    for (const std::string& k : keys_.images) map_planes(sample, k, size_, [&](const cv::Mat& a, cv::Mat& b) { window(a, b, x0, y0, fill_); });
    for (const std::string& k : keys_.labels) map_planes(sample, k, size_, [&](const cv::Mat& a, cv::Mat& b) { window(a, b, x0, y0, 0); });
  }

 private:
  ImageKeys keys_;
  cv::Size size_;
  bool random_;
  double fill_;
};
FUSE_OP(Crop, "fuse.image2d.crop", "1.0.0")

class RandomAffine {
 public:
  explicit RandomAffine(const DictView& config)
      : keys_(config),
        rotation_(range_option(config, "rotation")),
        scale_(range_option(config, "scale")),
        translation_(range_option(config, "translation")),
        shear_(range_option(config, "shear")),
        p_(config.get_double("p")),
        fill_(config.get_double("fill")) {
    if (scale_.first <= 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scale' must stay above 0");
    cv::setNumThreads(0);
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const cv::Size size = keys_.size(sample);
    const double angle = rng.uniform(rotation_.first, rotation_.second) * kPi / 180;
    const double scale = rng.uniform(scale_.first, scale_.second);
    const double shear = std::tan(rng.uniform(shear_.first, shear_.second) * kPi / 180);
    const double tx = rng.uniform(translation_.first, translation_.second) * size.width;
    const double ty = rng.uniform(translation_.first, translation_.second) * size.height;
    // Input point = R S H (p - c) + c + t for output point p (WARP_INVERSE_MAP): angles turn the same way as in
    // fuse.medical.random_affine.
    const double cx = (size.width - 1) / 2.0, cy = (size.height - 1) / 2.0;
    const double c = std::cos(angle) * scale, s = std::sin(angle) * scale;
    const double a00 = c, a01 = c * shear - s, a10 = s, a11 = s * shear + c;
    const cv::Matx23d m(a00, a01, cx + tx - a00 * cx - a01 * cy, a10, a11, cy + ty - a10 * cx - a11 * cy);
    for (const std::string& k : keys_.images)
      map_planes(sample, k, size, [&](const cv::Mat& in, cv::Mat& out) {
        cv::warpAffine(in, out, m, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar::all(fill_));
      });
    for (const std::string& k : keys_.labels)
      map_planes(sample, k, size, [&](const cv::Mat& in, cv::Mat& out) {
        cv::warpAffine(in, out, m, size, cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar::all(0));
      });
  }

 private:
  ImageKeys keys_;
  std::pair<double, double> rotation_, scale_, translation_, shear_;
  double p_, fill_;
};
FUSE_OP(RandomAffine, "fuse.image2d.random_affine", "1.0.0")

}  // namespace
}  // namespace fuse::ops_image2d
