// Device memory for the CUDA plugins, ordered on the default stream and taken from the device's memory pool,
// which keeps up to kPoolKeepBytes between calls: a batch's buffers then cost no cudaMalloc and no cudaFree
// (which waits for the whole device). Devices without memory pools get plain cudaMalloc. Only the CUDA runtime's
// header, so kernel files (.cu) use it too; errors are returned, not thrown.
#ifndef FUSE_PLUGINS_SHARED_CUDA_DEVICE_MEMORY_H_
#define FUSE_PLUGINS_SHARED_CUDA_DEVICE_MEMORY_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace fuse::cuda {

inline constexpr uint64_t kPoolKeepBytes = uint64_t{1} << 30;

// `bytes` on the current device into *p (null for 0 bytes); *pooled says how, for device_free.
cudaError_t pool_alloc(void** p, size_t bytes, bool* pooled);
void device_free(void* p, bool pooled);

// Scratch for the duration of a kernel file's call, freed on every path.
struct Scratch {
  void* p = nullptr;
  bool pooled = false;
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { device_free(p, pooled); }
  // At least a byte: CUB takes a null work area for a question about its size.
  cudaError_t alloc(size_t bytes) { return pool_alloc(&p, bytes > 0 ? bytes : 1, &pooled); }
};

}  // namespace fuse::cuda

#endif  // FUSE_PLUGINS_SHARED_CUDA_DEVICE_MEMORY_H_
