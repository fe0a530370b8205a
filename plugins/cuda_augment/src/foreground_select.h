// Where a label map on the device is foreground, or of a class: the CUDA side of fuse.cuda.crop_foreground,
// behind a plain function so the op code stays C++.
#ifndef FUSE_PLUGINS_CUDA_AUGMENT_FOREGROUND_SELECT_H_
#define FUSE_PLUGINS_CUDA_AUGMENT_FOREGROUND_SELECT_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace fuse::cuda_augment {

// Which elements a selection keeps.
enum class Match {
  kAboveZero,  // foreground: above 0
  kClass,      // equal to the class `value`
  kNotAClass,  // not an integer in [0, value): not a class of 'class_ratios' with `value` classes
};

// The indices of the elements of label[0 .. n) that `match` keeps, in order, into `indices` (room for n) and their
// count into *count (device memory). With temp null, only sets *temp_bytes to the scratch it needs for n
// elements (the same for every match). T: uint8_t, int32_t, int64_t or float.
template <class T>
cudaError_t select_indices(const T* label, int64_t n, Match match, int64_t value, int64_t* indices, int64_t* count, void* temp, size_t* temp_bytes);

}  // namespace fuse::cuda_augment

#endif  // FUSE_PLUGINS_CUDA_AUGMENT_FOREGROUND_SELECT_H_
