// The host's tensor: a small reference-counted buffer with a shape and a DLPack dtype, converted to and from
// DLPack without copying. Copies of a Tensor share the buffer; writes go through mutable_data(), which copies
// a shared or read-only buffer first (copy on write), so a cached sample is never changed behind its back.
#ifndef FUSE_TENSOR_TENSOR_H_
#define FUSE_TENSOR_TENSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <dlpack/dlpack.h>

#include "fuse/base/error.h"
#include "fuse_sdk/dltensor.hpp"

namespace fuse {

using sdk::dtype_eq;
using sdk::dtype_name;
using sdk::dtype_of;

class Tensor {
 public:
  Tensor() = default;

  // A new contiguous CPU tensor (64-byte aligned); empty() leaves the contents undefined.
  static Tensor empty(const std::vector<int64_t>& shape, DLDataType dtype);
  static Tensor zeros(const std::vector<int64_t>& shape, DLDataType dtype);
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const std::vector<int64_t>& shape);
  template <class T>
  static Tensor scalar(T value) {
    return from_vector<T>({value}, {});
  }

  // Adopts `managed` without copying; its deleter runs when the last reference goes. `keep_alive` is held as
  // long as the data (e.g. the plugin library that holds the deleter's code). A foreign buffer is read-only to
  // the host (its producer may share it): mutable_data() copies it first. One of our own exports comes back
  // as the tensor it was.
  static Tensor from_dlpack(DLManagedTensor* managed, std::shared_ptr<const void> keep_alive = nullptr);
  // Wraps memory kept alive by `owner` (e.g. a memory-mapped file). A read-only buffer is copied before any
  // write.
  static Tensor from_buffer(void* data, const std::vector<int64_t>& shape, DLDataType dtype,
                            std::shared_ptr<void> owner, bool writable);

  // A new DLPack reference (no copy); the receiver frees it with its deleter.
  DLManagedTensor* to_dlpack() const;

  bool defined() const { return impl_ != nullptr; }
  const DLTensor& dl() const;
  int32_t ndim() const { return dl().ndim; }
  const std::vector<int64_t>& shape() const;
  int64_t size(int32_t dim) const;
  int64_t numel() const;
  DLDataType dtype() const { return dl().dtype; }
  DLDevice device() const { return dl().device; }
  size_t nbytes() const;
  bool is_contiguous() const;
  bool is_cpu() const { return dl().device.device_type == kDLCPU; }

  const void* raw_data() const;
  template <class T>
  const T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<const T*>(raw_data());
  }

  // True when this Tensor is the only reference to a writable buffer, so writing cannot affect anyone else.
  bool is_unique() const;
  // Makes the buffer private and writable (copying it if needed) and returns it.
  void* mutable_raw_data();
  template <class T>
  T* mutable_data() {
    check_dtype(dtype_of<T>());
    return static_cast<T*>(mutable_raw_data());
  }
  // The DLTensor of a private buffer, for writers that work on DLPack (the data only, never the shape).
  DLTensor* mutable_dl();

  // A contiguous copy with its own buffer.
  Tensor clone() const;
  // A view with another shape over the same buffer (contiguous tensors; the element count must match).
  Tensor reshape(const std::vector<int64_t>& shape) const;
  bool shares_buffer_with(const Tensor& other) const;

  // "float32[2, 3]" (plus the device when not on the CPU).
  std::string description() const;

 private:
  struct Impl;
  void check_dtype(DLDataType expected) const;
  std::shared_ptr<Impl> impl_;
};

std::string shape_string(const std::vector<int64_t>& shape);

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const std::vector<int64_t>& shape) {
  Tensor t = empty(shape, dtype_of<T>());
  if (static_cast<size_t>(t.numel()) != values.size())
    throw_error(Errc::kShape, "Tensor::from_vector: " + std::to_string(values.size()) +
                                  " values do not fill shape " + shape_string(shape));
  T* out = t.mutable_data<T>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}

}  // namespace fuse

#endif  // FUSE_TENSOR_TENSOR_H_
