// Crops and pads to a fixed size: centred or at random, or around a random foreground voxel (patch sampling
// for segmentation). They set the input size of the model, so they apply in training and evaluation alike;
// "<key>_meta" follows the new grid, so predictions can be written back into the original image.
#include "spatial_keys.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::IndexMap;
using volume::Size3;

using volume::size_option;

Size3 resolve(Size3 target, Size3 size) {
  for (int a = 0; a < 3; ++a)
    if (target[a] < 0) target[a] = size[a];
  return target;
}

// in_index = o + start: a crop (start >= 0) or a pad (start < 0) along each axis.
IndexMap shift(const int64_t start[3]) {
  IndexMap map;
  for (int a = 0; a < 3; ++a) map.m[a][3] = static_cast<double>(start[a]);
  return map;
}

class PadOrCrop {
 public:
  explicit PadOrCrop(const DictView& config)
      : keys_(config), target_(size_option(config, keys_.dims())), random_(config.get_string("mode") == "random") {}

  void forward(Dict& sample, const sdk::Call& call) {
    const Size3 size = keys_.size(sample);
    sdk::Random rng(call.seed());
    Size3 out;
    const IndexMap map = volume::draw_pad_or_crop(random_ ? &rng : nullptr, size, target_, &out);
    if (out == size) return;
    keys_.apply(sample, out, map, nullptr, true, true);
  }

 private:
  SpatialKeys keys_;
  Size3 target_;
  bool random_;
};
FUSE_OP(PadOrCrop, "fuse.medical.pad_or_crop", "1.0.0")

class CropForeground {
 public:
  explicit CropForeground(const DictView& config)
      : keys_(config),
        target_(size_option(config, keys_.dims())),
        label_key_(config.find_string("label_key")),
        foreground_p_(config.get_double("foreground_p")) {
    if (!label_key_) {
      const std::vector<std::string> labels = config.get_strings("labels");
      if (labels.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "set 'label_key' or list the mask under 'labels'");
      label_key_ = labels[0];
    }
  }

  void forward(Dict& sample, const sdk::Call& call) {
    const Size3 size = keys_.size(sample), out = resolve(target_, size);
    sdk::Random rng(call.seed());
    // The centre: a random foreground voxel (any channel above 0), or any voxel.
    int64_t centre = -1;
    if (rng.chance(foreground_p_)) {
      sdk::TensorView label = sample.tensor(*label_key_);
      label.require_cpu_contiguous();
      const int64_t voxels = size.count(), total = label.numel();
      // Two passes (count, then find the drawn one) instead of a list of every foreground voxel.
      const bool known = sdk::dispatch_dtype(label.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* v = label.data<T>();
        int64_t count = 0;
        for (int64_t i = 0; i < total; ++i) count += v[i] > T(0);
        if (count == 0) return;
        int64_t k = static_cast<int64_t>(rng.below(static_cast<uint64_t>(count)));
        for (int64_t i = 0; i < total; ++i)
          if (v[i] > T(0) && k-- == 0) {
            centre = i % voxels;
            break;
          }
      });
      if (!known) sdk::fail(FM_ERR_TYPE, "key '" + *label_key_ + "': dtype " + sdk::dtype_name(label.dtype()) + " is not a label map");
    }
    if (centre < 0) centre = static_cast<int64_t>(rng.below(static_cast<uint64_t>(size.count())));
    const int64_t c[3] = {centre % size.x, (centre / size.x) % size.y, centre / (size.x * size.y)};
    int64_t start[3];
    for (int a = 0; a < 3; ++a) {
      // The patch around the centre, kept inside the volume where it fits (else centred, padded).
      if (size[a] >= out[a])
        start[a] = std::min(std::max<int64_t>(0, c[a] - out[a] / 2), size[a] - out[a]);
      else
        start[a] = -((out[a] - size[a]) / 2);
    }
    keys_.apply(sample, out, shift(start), nullptr, true, true);
  }

 private:
  SpatialKeys keys_;
  Size3 target_;
  std::optional<std::string> label_key_;
  double foreground_p_;
};
FUSE_OP(CropForeground, "fuse.medical.crop_foreground", "1.0.0")

}  // namespace
}  // namespace fuse::ops_medical
