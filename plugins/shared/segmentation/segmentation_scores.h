// What fuse.metrics.segmentation and its GPU twin fuse.cuda.gpu_segmentation share, so the twins cannot drift:
// the config, the checks of a batch, the empty-mask rules, the per-sample table and its per-class means
// (plain or under the host's replicate counts). Only how a sample's counts and surface distances are found
// differs between them.
//
// Empty masks, by rule (so results are always defined and comparable):
//   both empty:        dice 1, iou 1, surface dice 1, distances 0 (nothing to find, nothing found);
//   exactly one empty: dice 0, iou 0, surface dice 0, distances as 'empty_distance' says: "max" (default) gives the diagonal
//                      of the volume in physical units (the worst possible), "nan" leaves the sample out of
//                      that class's distance means.
#ifndef FUSE_PLUGINS_SHARED_SEGMENTATION_SEGMENTATION_SCORES_H_
#define FUSE_PLUGINS_SHARED_SEGMENTATION_SEGMENTATION_SCORES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"

namespace fuse::segmentation {

// The label maps of a batch: [batch, *spatial] with 1 to 3 spatial axes (a channel axis of 1 dropped).
struct LabelMaps {
  sdk::TensorView pred, target;
  int64_t samples;
  std::vector<int64_t> spatial;
  int64_t voxels() const;
};

// The checked label maps under `pred` and `target` of a batch (errors name the keys and their shapes).
LabelMaps read_label_maps(const sdk::DictView& batch, const std::string& pred, const std::string& target);

// The classes a label-map metric reports: 1 (0 with 'include_background') to 'num_classes' - 1; none is an error.
std::vector<int64_t> reported_classes(const sdk::DictView& config);

// One sample and class: voxels in the prediction, in the target, in both.
struct Overlap {
  uint64_t pred = 0, target = 0, both = 0;
  bool needs_distances() const { return pred > 0 && target > 0; }
};

class SegmentationScores {
 public:
  // Reads pred, target, num_classes, include_background, regions, spacing, spacing_key, empty_distance,
  // tolerance and ignore_label. With 'regions' (label_regions.h) the scores are per region, numbered from 1, instead of per class.
  explicit SegmentationScores(const sdk::DictView& config);

  // The checked maps of a batch (errors name the keys and their shapes).
  LabelMaps maps(const sdk::DictView& batch) const;
  // The classes (or regions) reported, in order.
  const std::vector<int64_t>& classes() const { return classes_; }
  // The label values the k-th reported class or region is made of.
  const std::vector<double>& labels_of(size_t k) const { return members_[k]; }
  // Whether a target voxel of label `value` is left out of every score ('ignore_label': not annotated).
  bool ignored(double value) const { return has_ignore_ && value == ignore_; }
  bool has_ignore_label() const { return has_ignore_; }
  double ignore_label() const { return ignore_; }  // when has_ignore_label()
  // Whether a voxel of label `value` belongs to the k-th reported class or region.
  bool member(size_t k, double value) const {
    for (double l : members_[k])
      if (l == value) return true;
    return false;
  }
  // Sample n's voxel spacing per spatial axis: the config's, or from 'spacing_key' ([nd] or [batch, nd]), else 1.
  std::vector<double> spacing(const sdk::DictView& batch, int64_t sample, size_t nd) const;

  // Adds the next (sample, class) in order: its overlap and, when overlap.needs_distances(), the distances from
  // each surface to the other (`ab` from the prediction's surface voxels, `ba` from the target's).
  void add(Overlap overlap, const std::vector<int64_t>& spatial, const std::vector<double>& spacing, const std::vector<double>& ab,
           const std::vector<double>& ba);

  void reset() { values_.clear(); }
  void merge(const SegmentationScores& o) { values_.insert(values_.end(), o.values_.begin(), o.values_.end()); }
  // Per class (tensors dice, iou, hd, hd95, asd, nsd; "classes") and their means over classes (mean_dice, ...), each
  // sample counted counts[s] times (nullptr: once).
  void compute_weighted(const uint8_t* counts, size_t n, sdk::Dict& result) const;
  size_t samples() const;
  void save(sdk::Writer& w) const;
  void load(const void* data, size_t size);

 private:
  std::string pred_, target_;
  std::vector<double> spacing_;
  std::string spacing_key_;
  bool empty_nan_;
  double tolerance_;
  bool has_ignore_ = false;
  double ignore_ = 0;
  std::vector<int64_t> classes_;
  std::vector<std::vector<double>> members_;  // per reported class or region: its label values
  std::vector<double> values_;  // per sample, per reported class: dice, iou, hd, hd95, asd, nsd
};

}  // namespace fuse::segmentation

#endif  // FUSE_PLUGINS_SHARED_SEGMENTATION_SEGMENTATION_SCORES_H_
