// Turning model outputs into scores: softmax and sigmoid, and taking one slice along an axis (the positive
// class's probability for binary metrics).
#include <cmath>
#include <cstring>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

class Softmax {
 public:
  explicit Softmax(const DictView& config)
      : key_(config.get_string("key")), out_(config.find_string("out").value_or(key_)), axis_(config.get_int("axis")) {}

  void forward(Dict& sample, const sdk::Call&) {
    if (out_ != key_) sample.copy(out_, key_);
    const int32_t ndim = sample.tensor(out_).ndim();
    if (ndim == 0) fail(FM_ERR_SHAPE, "key '" + key_ + "': softmax needs at least one dimension");
    const int32_t a = axis_index(axis_, ndim, 0, key_);
    const Extents e = extents(sample.tensor(out_).shape(), a);
    with_floating(sample, out_, [&](auto* x, int64_t) {
      for (int64_t i = 0; i < e.outer; ++i)
        for (int64_t j = 0; j < e.inner; ++j) {
          auto at = [&](int64_t k) -> auto& { return x[(i * e.size + k) * e.inner + j]; };
          double top = at(0);
          for (int64_t k = 1; k < e.size; ++k) top = std::max(top, static_cast<double>(at(k)));
          double sum = 0;
          for (int64_t k = 0; k < e.size; ++k) sum += std::exp(at(k) - top);  // shifted: no overflow
          for (int64_t k = 0; k < e.size; ++k) at(k) = static_cast<std::remove_reference_t<decltype(at(k))>>(std::exp(at(k) - top) / sum);
        }
    });
  }

 private:
  std::string key_, out_;
  int64_t axis_;
};
FUSE_OP(Softmax, "fuse.ops.softmax", "1.0.0")

class Sigmoid {
 public:
  explicit Sigmoid(const DictView& config) : key_(config.get_string("key")), out_(config.find_string("out").value_or(key_)) {}

  void forward(Dict& sample, const sdk::Call&) {
    if (out_ != key_) sample.copy(out_, key_);
    with_floating(sample, out_, [&](auto* x, int64_t n) {
      using T = std::remove_pointer_t<decltype(x)>;
      for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(x[i] >= 0 ? 1 / (1 + std::exp(-x[i])) : std::exp(x[i]) / (1 + std::exp(x[i])));
    });
  }

 private:
  std::string key_, out_;
};
FUSE_OP(Sigmoid, "fuse.ops.sigmoid", "1.0.0")

class Select {
 public:
  explicit Select(const DictView& config)
      : key_(config.get_string("key")), out_(config.find_string("out").value_or(key_)), axis_(config.get_int("axis")), index_(config.get_int("index")) {}

  void forward(Dict& sample, const sdk::Call&) {
    TensorView t = sample.tensor(key_);
    t.require_cpu_contiguous();
    if (t.ndim() == 0) fail(FM_ERR_SHAPE, "key '" + key_ + "': select needs at least one dimension");
    const int32_t a = axis_index(axis_, t.ndim(), 0, key_);
    std::vector<int64_t> shape = t.shape();
    const Extents e = extents(shape, a);
    const int64_t k = index_ < 0 ? index_ + e.size : index_;
    if (k < 0 || k >= e.size)
      fail(FM_ERR_SHAPE, "key '" + key_ + "': index " + std::to_string(index_) + " is out of range for axis " + std::to_string(axis_) + " of " +
                             sdk::shape_string(t.dl()));
    shape.erase(shape.begin() + a);
    Tensor out = Tensor::empty(shape, t.dtype());
    const size_t item = static_cast<size_t>(sdk::dtype_size(t.dtype()));
    const char* in = static_cast<const char*>(t.raw());
    char* o = static_cast<char*>(out.mut().raw());
    for (int64_t i = 0; i < e.outer; ++i)
      std::memcpy(o + static_cast<size_t>(i * e.inner) * item, in + static_cast<size_t>((i * e.size + k) * e.inner) * item, static_cast<size_t>(e.inner) * item);
    sample.set_tensor(out_, std::move(out));
  }

 private:
  std::string key_, out_;
  int64_t axis_, index_;
};
FUSE_OP(Select, "fuse.ops.select", "1.0.0")

}  // namespace
}  // namespace fuse::ops
