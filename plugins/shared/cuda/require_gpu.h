// For the CUDA plugins' tests: why this machine cannot run CUDA code (empty when it can), and a skip with that
// reason for tests that need a device.
#ifndef FUSE_PLUGINS_SHARED_CUDA_REQUIRE_GPU_H_
#define FUSE_PLUGINS_SHARED_CUDA_REQUIRE_GPU_H_

#include <cuda_runtime_api.h>

#include <string>

namespace fuse::cuda {

inline std::string no_gpu() {
  int n = 0;
  const cudaError_t status = cudaGetDeviceCount(&n);
  if (status != cudaSuccess) return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
  return n > 0 ? "" : "no CUDA device";
}

}  // namespace fuse::cuda

#define FUSE_REQUIRE_GPU()                                                             \
  if (const std::string why = ::fuse::cuda::no_gpu(); !why.empty()) {                  \
    GTEST_SKIP() << "needs a CUDA device, and this machine has none (" << why << ")"; \
  }

#endif  // FUSE_PLUGINS_SHARED_CUDA_REQUIRE_GPU_H_
