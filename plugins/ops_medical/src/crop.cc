// Crops and pads to a fixed size: centred or at random, or around a random foreground voxel or a voxel of a
// class drawn by ratio (patch sampling for segmentation); or to the box of an image's nonzero voxels. They set the
// input size of the model, so they apply in training and evaluation alike; "<key>_meta" follows the new grid, so
// predictions can be written back into the original image.
#include "spatial_keys.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::IndexMap;
using volume::Size3;

using volume::size_option;

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

// Calls `visit(i, value)` for each element i of the label map, in order, until it returns true.
template <class Visit>
void scan_labels(const sdk::TensorView& label, Visit&& visit) {
  label.require_cpu_contiguous();
  const int64_t total = label.numel();
  const bool known = sdk::dispatch_dtype(label.dtype(), [&](auto tag) {
    const auto* v = label.data<decltype(tag)>();
    for (int64_t i = 0; i < total; ++i)
      if (visit(i, v[i])) return;
  });
  if (!known) sdk::fail(FM_ERR_TYPE, "key '" + label.name() + "': dtype " + sdk::dtype_name(label.dtype()) + " is not a label map");
}

// Calls `visit(i)` for each element i of the label map above 0, in order, until it returns true.
template <class Visit>
void foreground(const sdk::TensorView& label, Visit&& visit) {
  scan_labels(label, [&](int64_t i, auto v) { return v > decltype(v)(0) && visit(i); });
}

// Calls `visit(i, c)` for each element i of the label map with its class c (the value, which must be an
// integer in [0, num_classes)), in order, until it returns true.
template <class Visit>
void classes(const sdk::TensorView& label, int64_t num_classes, Visit&& visit) {
  scan_labels(label, [&](int64_t i, auto v) {
    const auto c = static_cast<int64_t>(v);
    if (c < 0 || c >= num_classes || static_cast<decltype(v)>(c) != v)
      volume::fail_not_a_class(label.name(), static_cast<double>(v), i, static_cast<size_t>(num_classes));
    return visit(i, c);
  });
}

class CropForeground {
 public:
  explicit CropForeground(const DictView& config)
      : keys_(config),
        target_(size_option(config, keys_.dims())),
        label_key_(config.find_string("label_key")),
        foreground_p_(config.get_double("foreground_p")),
        ratios_(volume::class_ratios_option(config)) {
    if (!label_key_) {
      const std::vector<std::string> labels = config.get_strings("labels");
      if (labels.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "set 'label_key' or list the mask under 'labels'");
      label_key_ = labels[0];
    }
  }

  void forward(Dict& sample, const sdk::Call& call) {
    const Size3 size = keys_.size(sample);
    sdk::Random rng(call.seed());
    Size3 out;
    if (!ratios_.empty()) {
      // One pass counts every class (and checks the values), a second finds the drawn voxel.
      const sdk::TensorView label = sample.tensor(*label_key_);
      const auto n = static_cast<int64_t>(ratios_.size());
      std::vector<int64_t> counts(ratios_.size(), 0);
      classes(label, n, [&](int64_t, int64_t c) { ++counts[static_cast<size_t>(c)]; return false; });
      const auto nth = [&](int64_t chosen, int64_t k) {
        int64_t at = -1;
        classes(label, n, [&](int64_t i, int64_t c) { return c == chosen && k-- == 0 ? (at = i, true) : false; });
        return at;
      };
      const IndexMap map = volume::draw_class_patch(rng, ratios_, counts, size, target_, nth, &out);
      return keys_.apply(sample, out, map, nullptr, true, true);
    }
    // Two passes (count, then find the drawn one) instead of a list of every foreground voxel; the label map is
    // read only when the draw asks for foreground.
    auto count = [&] {
      int64_t n = 0;
      foreground(sample.tensor(*label_key_), [&](int64_t) { ++n; return false; });
      return n;
    };
    auto nth = [&](int64_t k) {
      int64_t at = -1;
      foreground(sample.tensor(*label_key_), [&](int64_t i) { return k-- == 0 ? (at = i, true) : false; });
      return at;
    };
    const IndexMap map = volume::draw_patch(rng, foreground_p_, size, target_, count, nth, &out);
    keys_.apply(sample, out, map, nullptr, true, true);
  }

 private:
  SpatialKeys keys_;
  Size3 target_;
  std::optional<std::string> label_key_;
  double foreground_p_;
  std::vector<double> ratios_;  // empty: foreground_p
};
FUSE_OP(CropForeground, "fuse.medical.crop_foreground", "1.0.0")

// nnU-Net's crop to the nonzero region (skull-stripped MR's zero background goes): every key cropped to the box
// of the voxels where the first of 'keys' is nonzero in any channel, grown by 'margin' voxels within the volume.
// An all-zero image stays as it is.
class CropNonzero {
 public:
  explicit CropNonzero(const DictView& config) : keys_(config), images_(config.get_strings("keys")), margin_(config.get_int("margin")) {
    if (images_.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'keys' names the image whose nonzero voxels the crop keeps (labels follow it)");
  }

  void forward(Dict& sample, const sdk::Call&) {
    const Size3 size = keys_.size(sample);
    const sdk::TensorView image = sample.tensor(images_[0]);
    image.require_cpu_contiguous();
    Size3 low = size, high{-1, -1, -1};
    // Row by row along x: a row's first and last nonzero voxel.
    const bool known = sdk::dispatch_dtype(image.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* v = image.data<T>();
      const int64_t rows = image.numel() / size.x;
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = v + r * size.x;
        int64_t first = 0, last = size.x - 1;
        while (first < size.x && row[first] == T(0)) ++first;
        if (first == size.x) continue;
        while (row[last] == T(0)) --last;
        const int64_t y = r % size.y, z = (r / size.y) % size.z;
        low.x = std::min(low.x, first), high.x = std::max(high.x, last);
        low.y = std::min(low.y, y), high.y = std::max(high.y, y);
        low.z = std::min(low.z, z), high.z = std::max(high.z, z);
      }
    });
    if (!known) sdk::fail(FM_ERR_TYPE, "key '" + images_[0] + "': dtype " + sdk::dtype_name(image.dtype()) + " is not supported");
    if (high.x < 0) return;  // all zero: nothing to crop to
    IndexMap map;
    Size3 out;
    for (int a = 0; a < 3; ++a) {
      const int64_t from = std::max<int64_t>(0, low[a] - margin_), to = std::min(size[a] - 1, high[a] + margin_);
      map.m[a][3] = static_cast<double>(from);
      out[a] = to - from + 1;
    }
    if (out != size) keys_.apply(sample, out, map, nullptr, true, true);
  }

 private:
  SpatialKeys keys_;
  std::vector<std::string> images_;
  int64_t margin_;
};
FUSE_OP(CropNonzero, "fuse.medical.crop_nonzero", "1.0.0")

}  // namespace
}  // namespace fuse::ops_medical
