// Shape ops: stack, concat (new tensors), reshape, squeeze, unsqueeze (views, no copy) and permute.
#include <cstring>
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

int64_t product(const std::vector<int64_t>& shape, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to; ++i) n *= shape[i];
  return n;
}

// The input tensors of stack/concat, checked for a common dtype and CPU layout.
std::vector<TensorView> inputs(const Dict& sample, const std::vector<std::string>& keys) {
  std::vector<TensorView> views;
  for (const std::string& key : keys) {
    views.push_back(sample.tensor(key));
    views.back().require_cpu_contiguous();
    if (!sdk::dtype_eq(views.back().dtype(), views.front().dtype()))
      fail(FM_ERR_TYPE, "key '" + key + "' has dtype " + sdk::dtype_name(views.back().dtype()) + " but '" + keys[0] +
                            "' has " + sdk::dtype_name(views.front().dtype()) + "; cast them to one dtype first");
  }
  return views;
}

class Stack {
 public:
  explicit Stack(const DictView& config)
      : keys_(config.get_strings("keys")), out_(config.get_string("out")), axis_(config.get_int("axis")) {}

  void forward(Dict& sample, const sdk::Call&) {
    if (stack_numbers(sample)) return;
    std::vector<TensorView> in = inputs(sample, keys_);
    const std::vector<int64_t> shape = in[0].shape();
    for (size_t k = 1; k < in.size(); ++k)
      if (in[k].shape() != shape)
        fail(FM_ERR_SHAPE, "cannot stack '" + keys_[k] + "' of shape " + sdk::shape_string(in[k].dl()) + " with '" +
                               keys_[0] + "' of shape " + sdk::shape_string(in[0].dl()) + ": shapes must be equal");
    const size_t a = static_cast<size_t>(axis_index(axis_, in[0].ndim(), 1, keys_[0]));
    std::vector<int64_t> out_shape = shape;
    out_shape.insert(out_shape.begin() + static_cast<std::ptrdiff_t>(a), static_cast<int64_t>(in.size()));
    Tensor out = Tensor::empty(out_shape, in[0].dtype());
    const int64_t outer = product(shape, 0, a);
    const size_t chunk = static_cast<size_t>(product(shape, a, shape.size()) * sdk::dtype_size(in[0].dtype()));
    auto* o = static_cast<char*>(out.mut().raw());
    for (int64_t i = 0; i < outer; ++i)
      for (const TensorView& t : in) {
        std::memcpy(o, static_cast<const char*>(t.raw()) + static_cast<size_t>(i) * chunk, chunk);
        o += chunk;
      }
    sample.set_tensor(out_, std::move(out));
  }

 private:
  // Numbers (a table's columns: age, PSA, a flag) become one float32 vector, the features a model reads.
  bool stack_numbers(Dict& sample) const {
    std::vector<fm_value_type> types;
    for (const std::string& key : keys_) {
      types.push_back(sample.type(key));
      if (types.back() == FM_VALUE_NULL) refuse_empty_cell(key, "nothing to stack");
    }
    const auto number = [](fm_value_type t) { return t == FM_VALUE_INT || t == FM_VALUE_DOUBLE || t == FM_VALUE_BOOL; };
    if (!number(types[0])) return false;
    if (axis_ != 0 && axis_ != -1) fail(FM_ERR_SHAPE, "numbers stack into a vector: 'axis' must be 0 or -1, got " + std::to_string(axis_));
    Tensor out = Tensor::empty({static_cast<int64_t>(keys_.size())}, sdk::dtype_of<float>());
    float* o = out.mut().data<float>();
    for (size_t k = 0; k < keys_.size(); ++k) {
      if (!number(types[k]))
        fail(FM_ERR_TYPE, "key '" + keys_[k] + "' is not a number but '" + keys_[0] + "' is: stack numbers with numbers (into a float32 vector) or tensors with "
                              "tensors");
      // get_double reads ints too.
      o[k] = types[k] == FM_VALUE_BOOL ? (sample.get_bool(keys_[k]) ? 1.0f : 0.0f) : static_cast<float>(sample.get_double(keys_[k]));
    }
    sample.set_tensor(out_, std::move(out));
    return true;
  }

  std::vector<std::string> keys_;
  std::string out_;
  int64_t axis_;
};
FUSE_OP(Stack, "fuse.ops.stack", "1.1.0")

class Concat {
 public:
  explicit Concat(const DictView& config)
      : keys_(config.get_strings("keys")), out_(config.get_string("out")), axis_(config.get_int("axis")) {}

  void forward(Dict& sample, const sdk::Call&) {
    std::vector<TensorView> in = inputs(sample, keys_);
    if (in[0].ndim() == 0) fail(FM_ERR_SHAPE, "key '" + keys_[0] + "': cannot concatenate scalars; use fuse.ops.stack");
    const size_t a = static_cast<size_t>(axis_index(axis_, in[0].ndim(), 0, keys_[0]));
    std::vector<int64_t> out_shape = in[0].shape();
    out_shape[a] = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      std::vector<int64_t> s = in[k].shape();
      bool ok = s.size() == out_shape.size();
      for (size_t d = 0; ok && d < s.size(); ++d) ok = d == a || s[d] == in[0].shape()[d];
      if (!ok)
        fail(FM_ERR_SHAPE, "cannot concatenate '" + keys_[k] + "' of shape " + sdk::shape_string(in[k].dl()) +
                               " with '" + keys_[0] + "' of shape " + sdk::shape_string(in[0].dl()) + " along axis " +
                               std::to_string(a) + ": the other dimensions must be equal");
      out_shape[a] += s[a];
    }
    Tensor out = Tensor::empty(out_shape, in[0].dtype());
    const int64_t outer = product(out_shape, 0, a);
    const int64_t item = sdk::dtype_size(in[0].dtype());
    auto* o = static_cast<char*>(out.mut().raw());
    for (int64_t i = 0; i < outer; ++i)
      for (const TensorView& t : in) {
        const std::vector<int64_t> s = t.shape();
        const size_t chunk = static_cast<size_t>(product(s, a, s.size()) * item);
        std::memcpy(o, static_cast<const char*>(t.raw()) + static_cast<size_t>(i) * chunk, chunk);
        o += chunk;
      }
    sample.set_tensor(out_, std::move(out));
  }

 private:
  std::vector<std::string> keys_;
  std::string out_;
  int64_t axis_;
};
FUSE_OP(Concat, "fuse.ops.concat", "1.0.0")

// Replaces each tensor by a view of another shape computed from its current one.
template <class ShapeFn>
void reshape_each(Dict& sample, const std::vector<std::string>& keys, ShapeFn&& new_shape) {
  for (const std::string& key : keys) {
    TensorView t = sample.tensor(key);
    t.require_cpu_contiguous();
    std::vector<int64_t> shape = new_shape(t, key);
    sample.set_tensor(key, sdk::reshaped(sample.ref_tensor(key), std::move(shape)));
  }
}

class Reshape {
 public:
  explicit Reshape(const DictView& config) : keys_(config.get_strings("keys")), shape_(config.get_ints("shape")) {
    int unknown = 0;
    for (int64_t d : shape_) {
      if (d == -1) ++unknown;
      else if (d < 0) fail(FM_ERR_INVALID_ARGUMENT, "'shape' sizes must be >= 0, or -1 for the one inferred size");
    }
    if (unknown > 1) fail(FM_ERR_INVALID_ARGUMENT, "'shape' may hold at most one -1");
  }

  void forward(Dict& sample, const sdk::Call&) {
    reshape_each(sample, keys_, [&](const TensorView& t, const std::string& key) {
      std::vector<int64_t> shape = shape_;
      int64_t known = 1;
      for (int64_t d : shape) known *= d == -1 ? 1 : d;
      for (int64_t& d : shape)
        if (d == -1) d = known == 0 ? 0 : t.numel() / known;
      if (product(shape, 0, shape.size()) != t.numel())
        fail(FM_ERR_SHAPE, "key '" + key + "': cannot reshape " + sdk::shape_string(t.dl()) + " (" +
                               std::to_string(t.numel()) + " elements) to " +
                               sdk::shape_string(shape_.data(), static_cast<int32_t>(shape_.size())));
      return shape;
    });
  }

 private:
  std::vector<std::string> keys_;
  std::vector<int64_t> shape_;
};
FUSE_OP(Reshape, "fuse.ops.reshape", "1.0.0")

class Squeeze {
 public:
  explicit Squeeze(const DictView& config) : keys_(config.get_strings("keys")), axis_(config.find_int("axis")) {}

  void forward(Dict& sample, const sdk::Call&) {
    reshape_each(sample, keys_, [&](const TensorView& t, const std::string& key) {
      std::vector<int64_t> shape = t.shape();
      if (!axis_) {
        std::vector<int64_t> kept;
        for (int64_t d : shape)
          if (d != 1) kept.push_back(d);
        return kept;
      }
      const size_t a = static_cast<size_t>(axis_index(*axis_, t.ndim(), 0, key));
      if (shape[a] != 1)
        fail(FM_ERR_SHAPE, "key '" + key + "': cannot squeeze axis " + std::to_string(*axis_) + " of shape " +
                               sdk::shape_string(t.dl()) + ": its size is not 1");
      shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(a));
      return shape;
    });
  }

 private:
  std::vector<std::string> keys_;
  std::optional<int64_t> axis_;
};
FUSE_OP(Squeeze, "fuse.ops.squeeze", "1.0.0")

class Unsqueeze {
 public:
  explicit Unsqueeze(const DictView& config) : keys_(config.get_strings("keys")), axis_(config.get_int("axis")) {}

  void forward(Dict& sample, const sdk::Call&) {
    reshape_each(sample, keys_, [&](const TensorView& t, const std::string& key) {
      std::vector<int64_t> shape = t.shape();
      const size_t a = static_cast<size_t>(axis_index(axis_, t.ndim(), 1, key));
      shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(a), 1);
      return shape;
    });
  }

 private:
  std::vector<std::string> keys_;
  int64_t axis_;
};
FUSE_OP(Unsqueeze, "fuse.ops.unsqueeze", "1.0.0")

class Permute {
 public:
  explicit Permute(const DictView& config) : keys_(config.get_strings("keys")), dims_(config.get_ints("dims")) {}

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      TensorView t = sample.tensor(key);
      t.require_cpu_contiguous();
      const size_t nd = static_cast<size_t>(t.ndim());
      std::vector<bool> seen(nd, false);
      std::vector<size_t> perm;
      for (int64_t d : dims_) {
        if (dims_.size() != nd) break;
        const size_t a = static_cast<size_t>(axis_index(d, t.ndim(), 0, key));
        if (seen[a]) break;
        seen[a] = true;
        perm.push_back(a);
      }
      if (perm.size() != nd)
        fail(FM_ERR_SHAPE, "key '" + key + "': 'dims' " + sdk::shape_string(dims_.data(), static_cast<int32_t>(dims_.size())) +
                               " is not a permutation of the " + std::to_string(nd) + " dimensions of " +
                               sdk::shape_string(t.dl()));
      const std::vector<int64_t> in_shape = t.shape();
      std::vector<int64_t> out_shape(nd), in_strides(nd, 1);
      for (size_t d = nd; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
      for (size_t d = 0; d < nd; ++d) out_shape[d] = in_shape[perm[d]];
      Tensor out = Tensor::empty(out_shape, t.dtype());
      const size_t item = static_cast<size_t>(sdk::dtype_size(t.dtype()));
      const auto* src = static_cast<const char*>(t.raw());
      auto* dst = static_cast<char*>(out.mut().raw());
      // Walk the output in order with an index counter; the source offset follows the permuted strides.
      std::vector<int64_t> index(nd, 0);
      for (int64_t i = 0, n = t.numel(); i < n; ++i) {
        int64_t offset = 0;
        for (size_t d = 0; d < nd; ++d) offset += index[d] * in_strides[perm[d]];
        std::memcpy(dst + static_cast<size_t>(i) * item, src + static_cast<size_t>(offset) * item, item);
        for (size_t d = nd; d-- > 0;) {
          if (++index[d] < out_shape[d]) break;
          index[d] = 0;
        }
      }
      sample.set_tensor(key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
  std::vector<int64_t> dims_;
};
FUSE_OP(Permute, "fuse.ops.permute", "1.0.0")

}  // namespace
}  // namespace fuse::ops
