// Where a label map on the device is foreground: the CUDA side of fuse.cuda.crop_foreground, behind a plain
// function so the op code stays C++.
#ifndef FUSE_PLUGINS_CUDA_AUGMENT_FOREGROUND_SELECT_H_
#define FUSE_PLUGINS_CUDA_AUGMENT_FOREGROUND_SELECT_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace fuse::cuda_augment {

// The indices of the elements of label[0 .. n) above 0, in order, into `indices` (room for n) and their count
// into *count (device memory). With temp null, only sets *temp_bytes to the scratch it needs for n elements.
// T: uint8_t, int32_t, int64_t or float.
template <class T>
cudaError_t foreground_indices(const T* label, int64_t n, int64_t* indices, int64_t* count, void* temp, size_t* temp_bytes);

}  // namespace fuse::cuda_augment

#endif  // FUSE_PLUGINS_CUDA_AUGMENT_FOREGROUND_SELECT_H_
