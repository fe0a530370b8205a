// Host tensors seen by LibTorch and back, without copies (DLPack both ways). Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_TORCH_VIEW_H_
#define FUSE_TRAIN_SRC_TORCH_VIEW_H_

#include <ATen/DLConvertor.h>
#include <torch/torch.h>

#include <vector>

#include "fuse/base/error.h"
#include "fuse/tensor/tensor.h"

namespace fuse::train {

inline torch::Tensor view(const Tensor& t) { return at::fromDLPack(t.to_dlpack()); }
// A contiguous torch tensor as a host tensor that keeps its storage alive.
inline Tensor wrap(const torch::Tensor& t) { return Tensor::from_dlpack(at::toDLPack(t.contiguous())); }

// A tensor over a model component's parameter memory (not owned: the component keeps it alive and in place), for
// the optimiser and the weight average; floating point only.
inline torch::Tensor parameter_view(const DLTensor& t) {
  torch::ScalarType type;
  if (t.dtype.code == kDLFloat && t.dtype.bits == 32) type = torch::kFloat32;
  else if (t.dtype.code == kDLFloat && t.dtype.bits == 64) type = torch::kFloat64;
  else if (t.dtype.code == kDLFloat && t.dtype.bits == 16) type = torch::kFloat16;
  else if (t.dtype.code == kDLBfloat && t.dtype.bits == 16) type = torch::kBFloat16;
  else throw Error(Errc::kType, "a trainable parameter of dtype " + sdk::dtype_name(t.dtype) + " (floating point expected)");
  std::vector<int64_t> shape(t.shape, t.shape + t.ndim);
  const torch::Device device = t.device.device_type == kDLCUDA ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(t.device.device_id))
                                                               : torch::Device(torch::kCPU);
  const torch::TensorOptions options = torch::TensorOptions().dtype(type).device(device);
  void* data = static_cast<char*>(t.data) + t.byte_offset;
  if (t.strides != nullptr) return torch::from_blob(data, shape, std::vector<int64_t>(t.strides, t.strides + t.ndim), options);
  return torch::from_blob(data, shape, options);
}

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_TORCH_VIEW_H_
