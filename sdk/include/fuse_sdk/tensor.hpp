// Tensors on the plugin side: borrowed views of DLTensors and an owning wrapper of DLManagedTensor.
#ifndef FUSE_SDK_TENSOR_HPP_
#define FUSE_SDK_TENSOR_HPP_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuse_sdk/dltensor.hpp"
#include "fuse_sdk/error.hpp"

namespace fuse::sdk {

// A read-only view of a tensor the host lends for the duration of a call. `name` (the key it came from) makes
// error messages say which input was wrong.
class TensorView {
 public:
  explicit TensorView(const DLTensor* tensor, std::string name = {}) : t_(tensor), name_(std::move(name)) {}

  const DLTensor& dl() const { return *t_; }
  const std::string& name() const { return name_; }
  int32_t ndim() const { return t_->ndim; }
  int64_t size(int32_t dim) const { return t_->shape[dim < 0 ? dim + t_->ndim : dim]; }
  std::vector<int64_t> shape() const { return std::vector<int64_t>(t_->shape, t_->shape + t_->ndim); }
  int64_t numel() const { return sdk::numel(*t_); }
  DLDataType dtype() const { return t_->dtype; }
  DLDevice device() const { return t_->device; }

  // Throws unless the tensor lives in CPU memory and is contiguous: what CPU kernels that index linearly need.
  const TensorView& require_cpu_contiguous() const {
    if (t_->device.device_type != kDLCPU && t_->device.device_type != kDLCUDAHost)
      fail(FM_ERR_UNSUPPORTED, where() + "tensor is not in CPU memory (device type " +
                                   std::to_string(t_->device.device_type) + "); this component runs on the CPU");
    if (!is_contiguous(*t_)) fail(FM_ERR_UNSUPPORTED, where() + "tensor is not contiguous");
    return *this;
  }

  // The elements as T, after checking that T is the tensor's dtype and the layout is usable.
  template <class T>
  const T* data() const {
    check_dtype<T>();
    require_cpu_contiguous();
    return reinterpret_cast<const T*>(raw());
  }

  const void* raw() const { return static_cast<const char*>(t_->data) + t_->byte_offset; }

  // Every element as a double, whatever the numeric dtype (CPU, contiguous); an error names the key otherwise.
  std::vector<double> to_doubles() const {
    require_cpu_contiguous();
    std::vector<double> out(static_cast<size_t>(numel()));
    const bool ok = dispatch_dtype(t_->dtype, [&](auto tag) {
      const auto* p = static_cast<const decltype(tag)*>(raw());
      for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
    });
    if (!ok) fail(FM_ERR_TYPE, where() + "dtype " + dtype_name(t_->dtype) + " is not supported");
    return out;
  }

 protected:
  std::string where() const { return name_.empty() ? std::string() : "key '" + name_ + "': "; }

  template <class T>
  void check_dtype() const {
    if (!dtype_eq(t_->dtype, dtype_of<T>()))
      fail(FM_ERR_TYPE, where() + "tensor has dtype " + dtype_name(t_->dtype) + ", expected " +
                            dtype_name(dtype_of<T>()));
  }

  const DLTensor* t_;
  std::string name_;
};

// A view whose data may be written in place (from Dict::tensor_mut, or of a tensor the plugin owns).
class MutTensorView : public TensorView {
 public:
  explicit MutTensorView(DLTensor* tensor, std::string name = {}) : TensorView(tensor, std::move(name)) {}

  template <class T>
  T* data() const {
    return const_cast<T*>(TensorView::data<T>());
  }
  void* raw() const { return const_cast<void*>(TensorView::raw()); }
};

// An owned tensor (a DLManagedTensor freed with its deleter). Plugins allocate outputs through the host
// (Tensor::empty), fill them and hand them to Dict::set, which takes ownership.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(DLManagedTensor* adopted) : m_(adopted) {}
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  Tensor(Tensor&& other) noexcept : m_(std::exchange(other.m_, nullptr)) {}
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      reset();
      m_ = std::exchange(other.m_, nullptr);
    }
    return *this;
  }
  ~Tensor() { reset(); }

  // A new host-allocated contiguous tensor with undefined contents.
  static Tensor empty(const std::vector<int64_t>& shape, DLDataType dtype, DLDevice device = cpu_device()) {
    DLManagedTensor* out = nullptr;
    check(api().tensor_alloc(static_cast<int32_t>(shape.size()), shape.data(), dtype, device, &out));
    return Tensor(out);
  }

  // Like empty() with every element set to `value` (CPU only).
  template <class T>
  static Tensor full(const std::vector<int64_t>& shape, T value) {
    Tensor t = empty(shape, dtype_of<T>());
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.view().numel(); i < n; ++i) p[i] = value;
    return t;
  }

  bool defined() const { return m_ != nullptr; }
  // The underlying DLTensor (e.g. for a model's parameter table); the Tensor keeps ownership.
  DLTensor& dl() { return m_->dl_tensor; }
  TensorView view() const { return TensorView(&m_->dl_tensor); }
  MutTensorView mut() { return MutTensorView(&m_->dl_tensor); }
  template <class T>
  T* data() {
    return mut().data<T>();
  }

  // Gives up ownership (to pass through the ABI).
  DLManagedTensor* release() { return std::exchange(m_, nullptr); }

  void reset() {
    if (m_ != nullptr && m_->deleter != nullptr) m_->deleter(m_);
    m_ = nullptr;
  }

 private:
  DLManagedTensor* m_ = nullptr;
};

}  // namespace fuse::sdk

#endif  // FUSE_SDK_TENSOR_HPP_
