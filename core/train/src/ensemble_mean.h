// How an ensemble combines its models' tensors under one key: one rule for `fuse infer A B` and for the
// validation cases `fuse choose-ensemble` scores, so that what is chosen is what is shipped. Internal.
#ifndef FUSE_TRAIN_SRC_ENSEMBLE_MEAN_H_
#define FUSE_TRAIN_SRC_ENSEMBLE_MEAN_H_

#include <vector>

#include <torch/torch.h>

namespace fuse::train {

// Floating tensors (probabilities, logits) by their mean, in their own type; integer and boolean ones (labels) by each
// element's vote, ties to the lowest value, in their own type. All of one shape.
inline torch::Tensor ensemble_mean(const std::vector<torch::Tensor>& all) {
  const torch::Tensor stacked = torch::stack(all);
  if (stacked.is_floating_point()) return stacked.mean(0);
  return std::get<0>(stacked.to(torch::kLong).mode(0)).to(all[0].scalar_type());
}

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_ENSEMBLE_MEAN_H_
