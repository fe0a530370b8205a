// Class weights from label counts, for losses on imbalanced data ("class_weights": "auto").
#ifndef FUSE_TRAIN_CLASS_WEIGHTS_H_
#define FUSE_TRAIN_CLASS_WEIGHTS_H_

#include <optional>
#include <string>
#include <vector>

#include "fuse/data/dataset.h"

namespace fuse::train {

// Labels of a structure in label maps weigh at most this many times the largest structure's (see class_weights).
inline constexpr double kMaxLabelMapWeight = 3;

// Weights of the classes of `key` over the dataset (from the source, or the static output when the source lacks
// it); classes are 0 to the largest label, and a class without a sample or voxel is an error naming it.
// - Class labels (a number per sample): the inverse class frequencies n / (classes x count), so balanced data
//   gives weights of 1.
// - Label maps (a tensor per sample): background (label 0) 1, and each label c the square root of (voxels of the
//   largest label / voxels of c), at most kMaxLabelMapWeight. Inverse voxel frequencies run into the hundreds and
//   make a network paint the small structure everywhere; foreground-centred patches already balance background
//   against the labels, so the weights only lift a small structure against a large one. The bound is the weight
//   examples/seg3d found by hand for a lesion 2% of its organ's size.
struct ClassWeights {
  std::vector<double> weights;  // per class 0..n-1
  std::vector<double> counts;   // the samples (class labels) or voxels (label maps) of each class
  bool label_maps = false;
};
// With `ignore` (the loss's ignore_label: voxels not annotated) that label is no class and is not counted.
ClassWeights class_weights(data::Dataset& dataset, const std::string& key, std::optional<int64_t> ignore = std::nullopt);

// The weights of regions of labels (the overlap losses' 'regions': BraTS's {1, 2, 3}, {2, 3}, {3}) from the
// label maps' class counts: a region's voxels are its labels', and region r weighs the square root of (voxels of
// the largest region / voxels of r), at most kMaxLabelMapWeight, as a label would. A region without a voxel is an
// error naming it.
ClassWeights region_weights(const ClassWeights& classes, const std::vector<std::vector<int64_t>>& regions, const std::string& key);

// Positive weights of multi-label targets ("pos_weights": "auto" of fuse.losses.bce_with_logits): per label (an
// element of a 0/1 tensor per sample, or one 0/1 number) its negatives / positives over the dataset, the weight
// PyTorch's pos_weight is meant to hold, so that a rare label's positives count as much as its negatives. A label
// without positives or without negatives, a value other than 0 and 1, or samples of different label counts are
// errors naming the sample or label.
struct LabelWeights {
  std::vector<double> weights, positives;  // per label
  size_t samples = 0;
};
LabelWeights label_pos_weights(data::Dataset& dataset, const std::string& key);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_CLASS_WEIGHTS_H_
