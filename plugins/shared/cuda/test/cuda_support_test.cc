// How CUDA failures become component errors: each CUDA status maps to an SDK error code with a message naming
// the failed step and CUDA's reason, and tensors on the wrong device are refused with a way out. None of this
// needs a GPU: the statuses are the ones a device would return.
#include "cuda_support.h"

#include <gtest/gtest.h>

#include <functional>

namespace fuse::cuda {
namespace {

// The code and message of the SDK error `body` throws.
// (code 0: nothing thrown)
std::pair<fm_error_code, std::string> error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const sdk::Error& e) {
    return {e.code(), e.what()};
  }
  return {0, ""};
}

TEST(CudaCheck, SuccessIsNoError) { EXPECT_EQ(error_of([] { check(cudaSuccess, "anything"); }).first, 0); }

TEST(CudaCheck, OutOfMemorySaysWhatToChange) {
  const auto [code, message] = error_of([] { check(cudaErrorMemoryAllocation, "allocating the class masks"); });
  EXPECT_EQ(code, FM_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(message, "allocating the class masks failed: the GPU is out of memory (cudaErrorMemoryAllocation: out of memory); use smaller "
                     "batches or patches");
}

TEST(CudaCheck, AMissingDeviceOrDriverIsUnsupported) {
  for (cudaError_t status : {cudaErrorNoDevice, cudaErrorInsufficientDriver, cudaErrorInvalidDevice}) {
    const auto [code, message] = error_of([&] { check(status, "selecting CUDA device 3"); });
    EXPECT_EQ(code, FM_ERR_UNSUPPORTED) << message;
    EXPECT_EQ(message, "selecting CUDA device 3 failed: no usable CUDA device (" + std::string(cudaGetErrorName(status)) + ": " +
                           cudaGetErrorString(status) + ")");
  }
}

TEST(CudaCheck, AnyOtherFailureIsInternalWithCudasName) {
  const auto [code, message] = error_of([] { check(cudaErrorIllegalAddress, "resampling key 'img'"); });
  EXPECT_EQ(code, FM_ERR_INTERNAL);
  EXPECT_EQ(message, "resampling key 'img' failed: cudaErrorIllegalAddress: an illegal memory access was encountered");
  EXPECT_EQ(error_of([] { check(cudaErrorLaunchFailure, "the surface distances of sample 0, class 1"); }).second,
            "the surface distances of sample 0, class 1 failed: cudaErrorLaunchFailure: unspecified launch failure");
}

TEST(RequireCuda, HostAndStridedTensorsAreRefusedWithAWayOut) {
  int64_t shape[2] = {2, 3}, strides[2] = {1, 2};  // column-major: not contiguous
  float data[6] = {};
  DLTensor t{};
  t.data = data;
  t.ndim = 2;
  t.shape = shape;
  t.dtype = DLDataType{kDLFloat, 32, 1};
  t.device = DLDevice{kDLCPU, 0};
  const sdk::TensorView view(&t, "img");
  auto [code, message] = error_of([&] { require_cuda(view, "img", "fuse.medical.random_flip"); });
  EXPECT_EQ(code, FM_ERR_UNSUPPORTED);
  EXPECT_EQ(message, "key 'img': the tensor is in CPU memory; this op runs on CUDA tensors: put 'fuse.cuda.to_device' before it in the data's "
                     "batch pipeline, or use its CPU twin 'fuse.medical.random_flip'");
  t.device = DLDevice{kDLROCM, 0};
  EXPECT_EQ(error_of([&] { require_cuda(view, "img", ""); }).second,
            "key 'img': the tensor is on device type " + std::to_string(kDLROCM) +
                "; this op runs on CUDA tensors: put 'fuse.cuda.to_device' before it in the data's batch pipeline");
  t.device = DLDevice{kDLCUDA, 0};
  t.strides = strides;
  EXPECT_EQ(error_of([&] { require_cuda(view, "img", ""); }).second, "key 'img': the CUDA tensor is not contiguous");
  t.strides = nullptr;
  EXPECT_EQ(error_of([&] { require_cuda(view, "img", ""); }).first, 0);
}

}  // namespace
}  // namespace fuse::cuda
