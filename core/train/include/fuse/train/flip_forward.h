// Test-time augmentation by flips (nnU-Net's mirroring, fastMONAI's TTA): the model on the input as it is and
// flipped along each listed set of spatial axes, every output flipped back, their mean. One code path for
// inference (fuse infer) and for the validation cases that choose among models and post-processings.
#ifndef FUSE_TRAIN_FLIP_FORWARD_H_
#define FUSE_TRAIN_FLIP_FORWARD_H_

#include <functional>
#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::train {

// Instead of forward(sample), for model inputs [batch, channels, *spatial]: `forward` runs on `sample` as it is,
// then once per entry of `flips` (spatial axes, 0 = x, the last tensor axis) on a copy whose `inputs` are
// flipped along them. Each of `outputs` comes back under its key in `sample` on the CPU: floating ones the mean
// over the passes (float32), each pass's output flipped back where it has the inputs' rank (a spatial map);
// others as the identity pass gave them. A flip of a batch or channel axis is an error naming the input.
void flip_forward(NDict& sample, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs, const std::vector<std::vector<int>>& flips,
                  const std::function<void(NDict&)>& forward);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_FLIP_FORWARD_H_
