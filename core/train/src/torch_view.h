// Host tensors seen by LibTorch and back, without copies (DLPack both ways). Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_TORCH_VIEW_H_
#define FUSE_TRAIN_SRC_TORCH_VIEW_H_

#include <ATen/DLConvertor.h>
#include <torch/torch.h>

#include "fuse/tensor/tensor.h"

namespace fuse::train {

inline torch::Tensor view(const Tensor& t) { return at::fromDLPack(t.to_dlpack()); }
// A contiguous torch tensor as a host tensor that keeps its storage alive.
inline Tensor wrap(const torch::Tensor& t) { return Tensor::from_dlpack(at::toDLPack(t.contiguous())); }

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_TORCH_VIEW_H_
