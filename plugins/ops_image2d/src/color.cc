// fuse.image2d.color_jitter: random brightness, contrast and saturation, as torchvision's ColorJitter (factors
// drawn from [1 - x, 1 + x], applied in a random order). Values are on the image's own scale: uint8 images
// stay in [0, 255], float images are clipped to [0, 1] when 'clip' is set. Training only.
#include <algorithm>
#include <array>
#include <cmath>

#include "fuse_sdk/plugin.hpp"

namespace fuse::ops_image2d {
namespace {

using sdk::Dict;
using sdk::DictView;

class ColorJitter {
 public:
  explicit ColorJitter(const DictView& config)
      : keys_(config.get_strings("keys")), brightness_(config.get_double("brightness")), contrast_(config.get_double("contrast")),
        saturation_(config.get_double("saturation")), p_(config.get_double("p")), clip_(config.get_bool("clip")) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const double factors[3] = {rng.uniform(1 - brightness_, 1 + brightness_), rng.uniform(1 - contrast_, 1 + contrast_),
                               rng.uniform(1 - saturation_, 1 + saturation_)};
    std::array<int, 3> order = {0, 1, 2};
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    for (const std::string& key : keys_) jitter(sample, key, factors, order);
  }

 private:
  void jitter(Dict& sample, const std::string& key, const double factors[3], const std::array<int, 3>& order) {
    sdk::TensorView t = sample.tensor(key);
    if (t.ndim() < 3) sdk::fail(FM_ERR_SHAPE, "key '" + key + "': expected [channels, height, width], got " + sdk::shape_string(t.dl()));
    const int64_t channels = t.size(-3), pixels = t.size(-1) * t.size(-2), images = t.numel() / (channels * pixels);
    const bool bytes = sdk::dtype_eq(t.dtype(), sdk::kUInt8);
    const double top = bytes ? 255.0 : 1.0;
    std::vector<double> v(static_cast<size_t>(t.numel()));
    sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
      const auto* p = t.data<decltype(tag)>();
      std::copy(p, p + t.numel(), v.begin());
    });
    for (int64_t image = 0; image < images; ++image) {
      double* x = &v[static_cast<size_t>(image * channels * pixels)];
      for (int step : order) {
        const double f = factors[step];
        if (step == 0) {  // brightness: scale
          for (int64_t i = 0; i < channels * pixels; ++i) x[i] *= f;
        } else if (step == 1) {  // contrast: towards the mean grey level
          double mean = 0;
          for (int64_t i = 0; i < channels * pixels; ++i) mean += x[i];
          mean /= static_cast<double>(channels * pixels);
          for (int64_t i = 0; i < channels * pixels; ++i) x[i] = mean + f * (x[i] - mean);
        } else if (channels == 3) {  // saturation: towards each pixel's grey (ITU-R 601 luma)
          for (int64_t i = 0; i < pixels; ++i) {
            const double grey = 0.299 * x[i] + 0.587 * x[pixels + i] + 0.114 * x[2 * pixels + i];
            for (int64_t c = 0; c < 3; ++c) x[c * pixels + i] = grey + f * (x[c * pixels + i] - grey);
          }
        }
        if (bytes || clip_)
          for (int64_t i = 0; i < channels * pixels; ++i) x[i] = std::clamp(x[i], 0.0, top);
      }
    }
    sdk::with_floating(sample, key, [&](auto* out, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const double y = v[static_cast<size_t>(i)];
        out[i] = static_cast<std::remove_pointer_t<decltype(out)>>(bytes ? std::round(y) : y);
      }
    });
    if (bytes) sample.set_tensor(key, sdk::converted(sample.tensor(key), sdk::kUInt8));
  }

  std::vector<std::string> keys_;
  double brightness_, contrast_, saturation_, p_;
  bool clip_;
};
FUSE_OP(ColorJitter, "fuse.image2d.color_jitter", "1.0.0")

}  // namespace
}  // namespace fuse::ops_image2d
