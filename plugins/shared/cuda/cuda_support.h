// The host side of the CUDA plugins: CUDA errors become SDK errors that name the failed step (the host adds
// the component), device tensors own their memory through a DLPack deleter, and inputs are checked for device
// and dtype before any kernel runs.
#ifndef FUSE_PLUGINS_SHARED_CUDA_CUDA_SUPPORT_H_
#define FUSE_PLUGINS_SHARED_CUDA_CUDA_SUPPORT_H_

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "device_memory.h"
#include "fuse_sdk/plugin.hpp"

namespace fuse::cuda {

// Throws for a failed CUDA call: out of memory -> FM_ERR_OUT_OF_MEMORY, no device or driver ->
// FM_ERR_UNSUPPORTED, anything else -> FM_ERR_INTERNAL; the message names `what` and CUDA's reason.
void check(cudaError_t status, const std::string& what);

// The number of usable CUDA devices; 0 with the reason in `why` (no driver, no device, ...).
int device_count(std::string* why);

// Makes `device` current for this thread (an error names it when it does not exist).
void use_device(int device);

// `key`'s tensor must be a contiguous CUDA tensor (an error says how to get one: fuse.cuda.to_device).
void require_cuda(const sdk::TensorView& t, const std::string& key, const std::string& twin);

// A new contiguous tensor on CUDA device `device` whose deleter frees it.
sdk::Tensor empty_device(const std::vector<int64_t>& shape, DLDataType dtype, int device);

// Memory from the device's pool (device_memory.h); a failure throws as check() does, naming `what`.
void* device_alloc(size_t bytes, const std::string& what, bool* pooled);

// Memory on the current device for the duration of a call.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count, const char* what = "a work buffer") : count_(count) {
    p_ = static_cast<T*>(device_alloc(count * sizeof(T), std::string("allocating ") + what, &pooled_));
  }
  // A device copy of `host`.
  explicit DeviceBuffer(const std::vector<T>& host, const char* what = "a work buffer") : DeviceBuffer(host.size(), what) {
    if (!host.empty()) check(cudaMemcpy(p_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), std::string("copying ") + what);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), count_(o.count_), pooled_(o.pooled_) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(count_, o.count_);
    std::swap(pooled_, o.pooled_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { device_free(p_, pooled_); }
  T* get() const { return p_; }
  size_t size() const { return count_; }
  std::vector<T> to_host(const char* what = "a result") const {
    std::vector<T> out(count_);
    if (count_ > 0) check(cudaMemcpy(out.data(), p_, count_ * sizeof(T), cudaMemcpyDeviceToHost), std::string("copying back ") + what);
    return out;
  }

 private:
  T* p_ = nullptr;
  size_t count_ = 0;
  bool pooled_ = false;
};

// After kernel launches: a launch error or a failure while they ran, named by `what`.
void check_kernels(const std::string& what);

}  // namespace fuse::cuda

#endif  // FUSE_PLUGINS_SHARED_CUDA_CUDA_SUPPORT_H_
