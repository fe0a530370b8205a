#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include "foreground_select.h"

namespace fuse::cuda_augment {
namespace {

template <class T>
struct Keeps {
  const T* label;
  Match match;
  int64_t value;
  __host__ __device__ bool operator()(int64_t i) const {
    const T v = label[i];
    switch (match) {
      case Match::kAboveZero: return v > T(0);
      case Match::kClass: return v == static_cast<T>(value);
      default: {  // kNotAClass: as the CPU op checks, through int64 and back
        const auto c = static_cast<int64_t>(v);
        return c < 0 || c >= value || static_cast<T>(c) != v;
      }
    }
  }
};

}  // namespace

template <class T>
cudaError_t select_indices(const T* label, int64_t n, Match match, int64_t value, int64_t* indices, int64_t* count, void* temp, size_t* temp_bytes) {
  return cub::DeviceSelect::If(temp, *temp_bytes, thrust::counting_iterator<int64_t>(0), indices, count, n, Keeps<T>{label, match, value});
}

template cudaError_t select_indices<uint8_t>(const uint8_t*, int64_t, Match, int64_t, int64_t*, int64_t*, void*, size_t*);
template cudaError_t select_indices<int32_t>(const int32_t*, int64_t, Match, int64_t, int64_t*, int64_t*, void*, size_t*);
template cudaError_t select_indices<int64_t>(const int64_t*, int64_t, Match, int64_t, int64_t*, int64_t*, void*, size_t*);
template cudaError_t select_indices<float>(const float*, int64_t, Match, int64_t, int64_t*, int64_t*, void*, size_t*);

}  // namespace fuse::cuda_augment
