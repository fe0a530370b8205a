// nnU-Net's cascade augmentation of the first stage's segmentation (its ApplyRandomBinaryOperatorTransform and
// RemoveRandomConnectedComponentFromOneHotEncodingTransform): in training, each channel of a one-hot map grows,
// shrinks, opens or closes by a ball of a random radius, and loses a random small connected component, so that a
// cascade's second stage learns to correct the first stage's segmentation rather than copy it.
#include <algorithm>
#include <cstdint>

#include "connected_components.h"
#include "geometry.h"
#include "surface_distance.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;

// A ball of `radius` voxels around the set voxels (all 0 where none is set).
std::vector<uint8_t> dilate(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape, int64_t radius) {
  const std::vector<double> d2 = segmentation::squared_distance(mask, shape, std::vector<double>(shape.size(), 1.0));
  std::vector<uint8_t> out(mask.size());
  const double r2 = static_cast<double>(radius * radius);
  for (size_t i = 0; i < out.size(); ++i) out[i] = d2[i] <= r2;
  return out;
}

// What is left of the set voxels once a ball of `radius` voxels around the unset ones is taken away; the grid's
// outside counts as unset (scipy's border_value 0, as nnU-Net's operators have it).
std::vector<uint8_t> erode(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape, int64_t radius) {
  std::vector<uint8_t> unset(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) unset[i] = !mask[i];
  const std::vector<uint8_t> near_unset = dilate(unset, shape, radius);
  std::vector<uint8_t> out(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) {
    // The nearest outside voxel lies across the nearest face: c + 1 or n - c voxels away along some axis.
    int64_t to_outside = INT64_MAX;
    for (size_t a = 0, rest = i; a < shape.size(); ++a) {
      const size_t axis = shape.size() - 1 - a;
      const int64_t n = shape[axis], c = static_cast<int64_t>(rest % static_cast<size_t>(n));
      rest /= static_cast<size_t>(n);
      to_outside = std::min({to_outside, c + 1, n - c});
    }
    out[i] = mask[i] && !near_unset[i] && to_outside > radius;
  }
  return out;
}

class RandomLabelMorphology {
 public:
  explicit RandomLabelMorphology(const DictView& config)
      : keys_(config.get_strings("keys")),
        dims_(static_cast<int>(config.get_int("dims"))),
        channels_(config.get_ints("channels")),
        p_(config.get_double("p")),
        radius_(config.get_ints("radius")),
        operations_(config.get_strings("operations")),
        remove_p_(config.get_double("remove_p")),
        remove_max_share_(config.get_double("remove_max_share")) {
    if (radius_.size() != 2 || radius_[0] < 1 || radius_[1] < radius_[0])
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'radius' is [low, high] in voxels with 1 <= low <= high, e.g. [1, 8]");
    if (operations_.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'operations' needs at least one of dilation, erosion, opening, closing");
    for (const std::string& o : operations_)
      if (o != "dilation" && o != "erosion" && o != "opening" && o != "closing")
        sdk::fail(FM_ERR_INVALID_ARGUMENT, "'operations': '" + o + "' is none of dilation, erosion, opening, closing");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    for (const std::string& key : keys_) {
      sdk::MutTensorView t = sample.tensor_mut(key);
      t.require_cpu_contiguous();
      const volume::Layout l = volume::layout_of(t, dims_);
      const std::vector<int64_t> shape = volume::spatial_shape(l, dims_);
      const size_t voxels = static_cast<size_t>(l.size.count());
      std::vector<int64_t> channels = channels_;
      if (channels.empty())
        for (int64_t c = 0; c < l.channels; ++c) channels.push_back(c);
      for (int64_t c : channels)
        if (c < 0 || c >= l.channels)
          sdk::fail(FM_ERR_INVALID_ARGUMENT, "key '" + key + "': 'channels' names channel " + std::to_string(c) + " of " + std::to_string(l.channels));
      const bool morph = rng.chance(p_);
      const bool remove = rng.chance(remove_p_);
      if (!morph && !remove) continue;
      const bool ok = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        for (int64_t c : channels) {
          T* v = t.data<T>() + static_cast<size_t>(c) * voxels;
          std::vector<uint8_t> mask(voxels);
          for (size_t i = 0; i < voxels; ++i) mask[i] = v[i] != T(0);
          if (morph) mask = morphology(mask, shape, rng);
          if (remove) remove_component(mask, shape, rng);
          for (size_t i = 0; i < voxels; ++i) v[i] = mask[i] ? T(1) : T(0);
        }
      });
      if (!ok) sdk::fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(t.dtype()) + " is not a map of 0 and 1");
    }
  }

 private:
  // One of the operations, with a radius drawn from 'radius'.
  std::vector<uint8_t> morphology(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape, sdk::Random& rng) const {
    const std::string& op = operations_[rng.below(operations_.size())];
    const int64_t r = radius_[0] + static_cast<int64_t>(rng.below(static_cast<uint64_t>(radius_[1] - radius_[0] + 1)));
    if (op == "dilation") return dilate(mask, shape, r);
    if (op == "erosion") return erode(mask, shape, r);
    if (op == "opening") return dilate(erode(mask, shape, r), shape, r);
    return erode(dilate(mask, shape, r), shape, r);
  }

  // A component drawn among those of at most 'remove_max_share' of the voxels (face connectivity), cleared.
  void remove_component(std::vector<uint8_t>& mask, const std::vector<int64_t>& shape, sdk::Random& rng) const {
    const segmentation::Components parts = segmentation::connected_components(mask, shape, false);
    std::vector<int32_t> small;
    for (int64_t k = 1; k <= parts.count(); ++k)
      if (static_cast<double>(parts.sizes[static_cast<size_t>(k)]) <= remove_max_share_ * static_cast<double>(mask.size())) small.push_back(static_cast<int32_t>(k));
    if (small.empty()) return;
    const int32_t gone = small[rng.below(small.size())];
    for (size_t i = 0; i < mask.size(); ++i)
      if (parts.labels[i] == gone) mask[i] = 0;
  }

  std::vector<std::string> keys_;
  int dims_;
  std::vector<int64_t> channels_;
  double p_;
  std::vector<int64_t> radius_;
  std::vector<std::string> operations_;
  double remove_p_, remove_max_share_;
};
FUSE_OP(RandomLabelMorphology, "fuse.medical.random_label_morphology", "1.0.0")

}  // namespace
}  // namespace fuse::ops_medical
