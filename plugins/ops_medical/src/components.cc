// Cleaning a predicted label map by its connected components (MONAI's KeepLargestConnectedComponent and
// RemoveSmallObjects, nnU-Net's post-processing): per class, or over the classes together, only the largest
// component(s) of at least a size stay; the voxels of the others become background. With 'scores', the class
// scores the map was made from follow (a removed voxel's score moves to the background; region probabilities, a
// sigmoid per region, all drop to 0), so a label map made from them again on another grid (fuse.io.write_medical's
// 'scores') is cleaned too.
#include <algorithm>
#include <numeric>
#include <set>

#include "connected_components.h"
#include "geometry.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;

class KeepComponents {
 public:
  explicit KeepComponents(const DictView& config)
      : keys_(config.get_strings("keys")),
        dims_(static_cast<int>(config.get_int("dims"))),
        classes_(config.get_ints("classes")),
        independent_(config.get_bool("independent")),
        largest_(config.get_int("largest")),
        min_size_(config.get_int("min_size")),
        full_(config.get_string("connectivity") == "full"),
        background_(config.get_int("background")),
        scores_(config.find_string("scores").value_or("")),
        region_scores_(config.get_string("scores_are") == "regions") {
    if (region_scores_ && background_ != 0)
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scores_are' \"regions\" needs 'background' 0 (a voxel outside every region is label 0), got " +
                                   std::to_string(background_));
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      sdk::MutTensorView t = sample.tensor_mut(key);
      t.require_cpu_contiguous();
      const volume::Layout l = volume::layout_of(t, dims_);
      const std::vector<int64_t> shape = volume::spatial_shape(l, dims_);
      const size_t voxels = static_cast<size_t>(l.size.count());
      const int64_t classes = scores_.empty() ? 0 : classes_in_scores(sample, key, l);  // checked before anything changes
      const bool ok = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        std::vector<T> before;  // the maps as they were, where the scores must follow
        if (!scores_.empty()) before.assign(t.data<T>(), t.data<T>() + static_cast<size_t>(l.channels) * voxels);
        for (int64_t c = 0; c < l.channels; ++c) clean(t.data<T>() + static_cast<size_t>(c) * voxels, voxels, shape);
        if (!scores_.empty()) follow(sample, before, t.data<T>(), l.channels, classes, voxels);
      });
      if (!ok) sdk::fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(t.dtype()) + " is not a label map");
    }
  }

 private:
  template <class T>
  void clean(T* labels, size_t voxels, const std::vector<int64_t>& shape) const {
    std::vector<int64_t> classes = classes_;
    if (classes.empty()) {  // every label present but the background, in order
      std::set<int64_t> present;
      for (size_t i = 0; i < voxels; ++i) present.insert(static_cast<int64_t>(labels[i]));
      present.erase(background_);
      classes.assign(present.begin(), present.end());
    }
    const auto in = [&](size_t i, int64_t c) { return static_cast<int64_t>(labels[i]) == c; };
    if (independent_) {
      for (int64_t c : classes) keep(labels, voxels, shape, [&](size_t i) { return in(i, c); });
    } else {
      keep(labels, voxels, shape, [&](size_t i) { return std::any_of(classes.begin(), classes.end(), [&](int64_t c) { return in(i, c); }); });
    }
  }

  // The classes of the scores under 'scores' for the label maps under `key` (laid out as `l`): errors name both.
  int64_t classes_in_scores(const DictView& sample, const std::string& key, const volume::Layout& l) const {
    const sdk::TensorView s = sample.tensor(scores_);
    s.require_cpu_contiguous();
    const volume::Layout sl = volume::layout_of(s, dims_);
    if (sl.size != l.size || sl.channels % l.channels != 0)
      sdk::fail(FM_ERR_SHAPE, "'scores' key '" + scores_ + "' is shaped " + sdk::shape_string(s.dl()) + ": it must hold class scores for each of the " +
                                  std::to_string(l.channels) + " label map(s) of '" + key + "' on their grid");
    const int64_t classes = sl.channels / l.channels;
    if (region_scores_) return classes;  // regions: no background channel
    if (background_ < 0 || background_ >= classes)
      sdk::fail(FM_ERR_SHAPE, "'scores' key '" + scores_ + "' has " + std::to_string(classes) + " classes, so no score for the background " +
                                  std::to_string(background_));
    return classes;
  }

  // Where map m's voxel was removed from class c, the scores [maps, classes, ...] move class c's score to the
  // background class; region probabilities [maps, regions, ...] all become 0 there (in no region: background).
  template <class T>
  void follow(Dict& sample, const std::vector<T>& before, const T* after, int64_t maps, int64_t classes, size_t voxels) const {
    sdk::MutTensorView s = sample.tensor_mut(scores_);
    const bool ok = sdk::dispatch_dtype(s.dtype(), [&](auto tag) {
      using S = decltype(tag);
      for (int64_t m = 0; m < maps; ++m) {
        S* block = s.data<S>() + static_cast<size_t>(m * classes) * voxels;
        for (size_t i = 0; i < voxels; ++i) {
          const int64_t was = static_cast<int64_t>(before[static_cast<size_t>(m) * voxels + i]);
          if (was == static_cast<int64_t>(after[static_cast<size_t>(m) * voxels + i])) continue;
          if (region_scores_) {
            for (int64_t r = 0; r < classes; ++r) block[static_cast<size_t>(r) * voxels + i] = 0;
            continue;
          }
          if (was < 0 || was >= classes) continue;
          block[static_cast<size_t>(background_) * voxels + i] += block[static_cast<size_t>(was) * voxels + i];
          block[static_cast<size_t>(was) * voxels + i] = 0;
        }
      }
    });
    if (!ok) sdk::fail(FM_ERR_TYPE, "'scores' key '" + scores_ + "': dtype " + sdk::dtype_name(s.dtype()) + " holds no class scores");
  }

  // Sets the voxels of `selected` outside the kept components to the background.
  template <class T, class Selected>
  void keep(T* labels, size_t voxels, const std::vector<int64_t>& shape, Selected&& selected) const {
    std::vector<uint8_t> mask(voxels);
    for (size_t i = 0; i < voxels; ++i) mask[i] = selected(i);
    const segmentation::Components parts = segmentation::connected_components(mask, shape, full_);
    // Largest first; equal sizes in the order of their first voxel, so the choice is the same every time.
    std::vector<int64_t> order(static_cast<size_t>(parts.count()));
    std::iota(order.begin(), order.end(), 1);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return parts.sizes[a] > parts.sizes[b]; });
    std::vector<uint8_t> kept(parts.sizes.size(), 0);
    for (size_t k = 0; k < order.size(); ++k)
      kept[static_cast<size_t>(order[k])] = (largest_ == 0 || static_cast<int64_t>(k) < largest_) && parts.sizes[order[k]] >= min_size_;
    for (size_t i = 0; i < voxels; ++i)
      if (parts.labels[i] > 0 && !kept[static_cast<size_t>(parts.labels[i])]) labels[i] = static_cast<T>(background_);
  }

  std::vector<std::string> keys_;
  int dims_;
  std::vector<int64_t> classes_;
  bool independent_;
  int64_t largest_, min_size_;
  bool full_;
  int64_t background_;
  std::string scores_;
  bool region_scores_;
};
FUSE_OP(KeepComponents, "fuse.medical.keep_components", "1.1.0")

}  // namespace
}  // namespace fuse::ops_medical
