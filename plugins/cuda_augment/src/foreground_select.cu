#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include "foreground_select.h"

namespace fuse::cuda_augment {
namespace {

template <class T>
struct AboveZero {
  const T* label;
  __host__ __device__ bool operator()(int64_t i) const { return label[i] > T(0); }
};

}  // namespace

template <class T>
cudaError_t foreground_indices(const T* label, int64_t n, int64_t* indices, int64_t* count, void* temp, size_t* temp_bytes) {
  return cub::DeviceSelect::If(temp, *temp_bytes, thrust::counting_iterator<int64_t>(0), indices, count, n, AboveZero<T>{label});
}

template cudaError_t foreground_indices<uint8_t>(const uint8_t*, int64_t, int64_t*, int64_t*, void*, size_t*);
template cudaError_t foreground_indices<int32_t>(const int32_t*, int64_t, int64_t*, int64_t*, void*, size_t*);
template cudaError_t foreground_indices<int64_t>(const int64_t*, int64_t, int64_t*, int64_t*, void*, size_t*);
template cudaError_t foreground_indices<float>(const float*, int64_t, int64_t*, int64_t*, void*, size_t*);

}  // namespace fuse::cuda_augment
