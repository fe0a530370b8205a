// Where a learning-rate range test suggests to train, read off its smoothed losses (one per rate, the rates
// rising exponentially).
#ifndef FUSE_TRAIN_LR_SUGGESTION_H_
#define FUSE_TRAIN_LR_SUGGESTION_H_

#include <cstddef>
#include <optional>
#include <vector>

namespace fuse::train {

// fastai's "valley", the suggestion fastMONAI users get: the longest run of rates along which the loss keeps
// falling (the longest decreasing subsequence, so that noise does not cut it), measured in its points n, and
// the rate n/2 steps before the run's end: halfway down the fall. A fall long and steady beats a short steep
// dip in the noisy start. nullopt when the loss never falls.
std::optional<size_t> valley_index(const std::vector<double>& smoothed);

// The steepest fall per step (a central difference), past the first tenth of the steps, whose noise the
// smoothing's warm-up leaves: fastai's "steep". nullopt when the loss never falls.
std::optional<size_t> steepest_index(const std::vector<double>& smoothed);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_LR_SUGGESTION_H_
