// Class weights from label counts, for losses on imbalanced data ("class_weights": "auto").
#ifndef FUSE_TRAIN_CLASS_WEIGHTS_H_
#define FUSE_TRAIN_CLASS_WEIGHTS_H_

#include <string>
#include <vector>

#include "fuse/data/dataset.h"

namespace fuse::train {

// Inverse class frequencies of `key` over the dataset (from the source, or the static output when the source
// lacks it): n / (classes x count), so balanced data gives weights of 1. Classes are 0 to the largest label; a
// class without a sample is an error naming it.
std::vector<double> class_weights(data::Dataset& dataset, const std::string& key);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_CLASS_WEIGHTS_H_
