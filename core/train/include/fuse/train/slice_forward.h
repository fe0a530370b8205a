// Slice-by-slice prediction: a 2D model (trained on the slices a static pipeline's split made) predicts whole
// volumes, in validation (volume metrics) and in inference (a 3D label map written back onto the input's grid).
#ifndef FUSE_TRAIN_SLICE_FORWARD_H_
#define FUSE_TRAIN_SLICE_FORWARD_H_

#include <functional>
#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

// Instead of forward(sample), for a sample whose model inputs have a batch axis of 1. The inputs shaped
// [1, channels, z, y, x] (of one spatial size) are cut into their slices across spec.axis, and `forward` runs on
// spec.batch slices at a time ([slices, channels, the other two axes]), the other tensor inputs repeated along
// the batch axis. Each of `outputs` must come back as [slices, channels, the other two axes]; the slices are
// stacked back into [1, channels, z, y, x] under its key in `sample`. Errors name the key, the shapes and the
// fix.
void slice_forward(NDict& sample, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs, const SliceSpec& spec,
                   const std::function<void(NDict&)>& forward);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SLICE_FORWARD_H_
