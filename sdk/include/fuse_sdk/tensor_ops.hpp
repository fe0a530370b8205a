// Tensor utilities for plugin authors: dtype conversion, reshaping without a copy, float tensors in place.
#ifndef FUSE_SDK_TENSOR_OPS_HPP_
#define FUSE_SDK_TENSOR_OPS_HPP_

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "fuse_sdk/dict.hpp"
#include "fuse_sdk/dtype.hpp"
#include "fuse_sdk/error.hpp"
#include "fuse_sdk/tensor.hpp"

namespace fuse::sdk {

// Copies `src` into a new tensor of dtype `to` (same shape), converting each element. A float that does not
// fit the integer type (NaN, infinity, out of range) is an error rather than undefined behaviour.
inline Tensor converted(const TensorView& src, DLDataType to) {
  Tensor out = Tensor::empty(src.shape(), to);
  const int64_t n = src.numel();
  const bool known = dispatch_dtype(src.dtype(), [&](auto in_tag) {
    using In = decltype(in_tag);
    const In* in = src.data<In>();
    const bool ok = dispatch_dtype(to, [&](auto out_tag) {
      using Out = decltype(out_tag);
      Out* o = out.data<Out>();
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_floating_point_v<In> && std::is_integral_v<Out>) {
          const double x = static_cast<double>(in[i]);
          if (!(x >= static_cast<double>(std::numeric_limits<Out>::lowest()) &&
                x <= static_cast<double>(std::numeric_limits<Out>::max())))
            fail(FM_ERR_NUMERIC, "key '" + src.name() + "': element " + std::to_string(i) + " (" +
                                     std::to_string(x) + ") does not fit " + dtype_name(to));
        }
        o[i] = static_cast<Out>(in[i]);
      }
    });
    if (!ok) fail(FM_ERR_TYPE, "key '" + src.name() + "': cannot convert to dtype " + dtype_name(to));
  });
  if (!known) fail(FM_ERR_TYPE, "key '" + src.name() + "': cannot convert from dtype " + dtype_name(src.dtype()));
  return out;
}

// A tensor that shares `base`'s data under another shape (no copy): it holds the reference to `base` and
// releases it from its deleter. `base` must be contiguous and `shape` hold the same number of elements.
inline Tensor reshaped(Tensor base, std::vector<int64_t> shape) {
  struct View {
    DLManagedTensor managed;
    std::vector<int64_t> shape;
    DLManagedTensor* base;
  };
  auto* v = new View{DLManagedTensor{}, std::move(shape), base.release()};
  v->managed.dl_tensor = v->base->dl_tensor;
  v->managed.dl_tensor.ndim = static_cast<int32_t>(v->shape.size());
  v->managed.dl_tensor.shape = v->shape.empty() ? nullptr : v->shape.data();
  v->managed.dl_tensor.strides = nullptr;
  v->managed.manager_ctx = v;
  v->managed.deleter = [](DLManagedTensor* m) {
    auto* self = static_cast<View*>(m->manager_ctx);
    if (self->base->deleter != nullptr) self->base->deleter(self->base);
    delete self;
  };
  return Tensor(&v->managed);
}

// The floating tensor under `key`, ready to be written in place: a float32/float64 tensor is taken as it is
// (copied first if shared), an integer one is converted to float32 and stored back. f(T* data, n) is called
// with the element type.
template <class F>
void with_floating(Dict& sample, const std::string& key, F&& f) {
  TensorView in = sample.tensor(key);
  in.require_cpu_contiguous();
  if (!is_floating(in.dtype())) sample.set_tensor(key, converted(in, sdk::kFloat32));
  MutTensorView t = sample.tensor_mut(key);
  const int64_t n = t.numel();
  if (!dispatch_floating(t.dtype(), [&](auto tag) { f(t.data<decltype(tag)>(), n); }))
    fail(FM_ERR_TYPE, "key '" + key + "': dtype " + dtype_name(t.dtype()) + " is not supported");
}

}  // namespace fuse::sdk

#endif  // FUSE_SDK_TENSOR_OPS_HPP_
