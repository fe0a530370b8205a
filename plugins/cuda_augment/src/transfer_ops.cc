// Moving batch tensors between host memory and a GPU: the first and last steps of a GPU batch pipeline.
#include "cuda_support.h"
#include "fuse_sdk/plugin.hpp"

namespace fuse::cuda_augment {
namespace {

using sdk::Dict;
using sdk::DictView;

class ToDevice {
 public:
  explicit ToDevice(const DictView& config) : keys_(config.get_strings("keys")), device_(static_cast<int>(config.get_int("device"))) {}

  void forward(Dict& batch, const sdk::Call&) {
    cuda::use_device(device_);
    for (const std::string& key : keys_) {
      const sdk::TensorView in = batch.tensor(key);
      if (in.device().device_type == kDLCUDA && in.device().device_id == device_) continue;
      in.require_cpu_contiguous();
      sdk::Tensor out = cuda::empty_device(in.shape(), in.dtype(), device_);
      const size_t bytes = static_cast<size_t>(in.numel() * sdk::dtype_size(in.dtype()));
      cuda::check(cudaMemcpy(out.mut().raw(), in.raw(), bytes, cudaMemcpyHostToDevice), "copying key '" + key + "' to CUDA device " + std::to_string(device_));
      batch.set_tensor(key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
  int device_;
};
FUSE_OP(ToDevice, "fuse.cuda.to_device", "1.0.0")

class ToHost {
 public:
  explicit ToHost(const DictView& config) : keys_(config.get_strings("keys")) {}

  void forward(Dict& batch, const sdk::Call&) {
    for (const std::string& key : keys_) {
      const sdk::TensorView in = batch.tensor(key);
      if (in.device().device_type != kDLCUDA) continue;
      cuda::require_cuda(in, key, "");
      cuda::use_device(in.device().device_id);
      sdk::Tensor out = sdk::Tensor::empty(in.shape(), in.dtype());
      const size_t bytes = static_cast<size_t>(in.numel() * sdk::dtype_size(in.dtype()));
      cuda::check(cudaMemcpy(out.mut().raw(), in.raw(), bytes, cudaMemcpyDeviceToHost), "copying key '" + key + "' to host memory");
      batch.set_tensor(key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
};
FUSE_OP(ToHost, "fuse.cuda.to_host", "1.0.0")

}  // namespace
}  // namespace fuse::cuda_augment
