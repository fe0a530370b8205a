// Arithmetic on host tensors that the trainer needs (summing and scaling gradients, moving outputs off the
// GPU), done with LibTorch over DLPack views. Internal.
#ifndef FUSE_TRAIN_SRC_TENSOR_MATH_H_
#define FUSE_TRAIN_SRC_TENSOR_MATH_H_

#include <string>

#include "fuse/ndict/ndict.h"
#include "fuse/tensor/tensor.h"

namespace fuse::train {

// a + b (same shape; an error names the key otherwise).
Tensor add_tensors(const Tensor& a, const Tensor& b, const std::string& key);
// factor * t, as float.
Tensor scale_tensor(const Tensor& t, double factor);
// The tensor in host memory (a copy when it lives on a GPU, else itself).
Tensor to_host(const Tensor& t);
// Whether every element is finite.
bool all_finite(const Tensor& t);
// Every tensor of `d` under `keys`, in host memory.
void keys_to_host(NDict& d, const std::vector<std::string>& keys);

// Row `row` of a batch of `rows` samples, as a batch of one: every tensor whose first axis is `rows` cut to
// [1, ...] (views, no copy), every list of `rows` items cut to its item; other values as they are.
NDict batch_row(const NDict& batch, size_t row, size_t rows);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_TENSOR_MATH_H_
