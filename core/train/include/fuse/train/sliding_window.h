// Sliding-window inference (MONAI's sliding_window_inference, fastMONAI's patch inference): a model trained on
// patches predicts a whole volume by running on overlapping windows; each spatial output is blended back from
// its windows, with Gaussian weights that trust a window's centre more than its border.
#ifndef FUSE_TRAIN_SLIDING_WINDOW_H_
#define FUSE_TRAIN_SLIDING_WINDOW_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

// The first voxel of each window along an axis of `length` voxels: windows floor(window * (1 - overlap))
// voxels apart (at least 1), the last one flush with the end; {0} when the axis fits in one window.
std::vector<int64_t> window_starts(int64_t length, int64_t window, double overlap);

// The blending weight of each voxel of a window of `shape` (tensor order, z first), row-major: 1 everywhere
// ("constant"), or a Gaussian per axis (sigma = sigma_scale * extent) peaking at 1 in the centre, never below
// 1e-6 so that every voxel keeps a weight.
std::vector<float> window_weights(const std::vector<int64_t>& shape, const std::string& blend, double sigma_scale);

// Instead of forward(sample), for a sample whose model inputs have a batch axis of 1. The inputs of rank
// 2 + spec.size.size() ([1, channels, (z,) y, x], all of one spatial size) are cut into windows of spec.size
// (x first; an axis shorter than the window is padded on both sides with spec.pad_value), and `forward` runs
// on spec.batch windows at a time, the other tensor inputs repeated along the batch axis. Each of `outputs`
// must come back as [windows, channels, window size] in a floating-point type; it is blended into
// [1, channels, input size] (float32) under its key in `sample`. Errors name the key, the shapes and the fix.
// An empty spec.size (no window asked for) calls forward(sample) once, on any batch.
void sliding_window_forward(NDict& sample, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                            const SlidingWindowSpec& spec, const std::function<void(NDict&)>& forward);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SLIDING_WINDOW_H_
