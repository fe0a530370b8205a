// Label ops: one_hot, argmax (one-hot or scores back to a class index) and lookup (map values through a table).
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

class OneHot {
 public:
  explicit OneHot(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        classes_(config.get_int("num_classes")),
        dtype_(dtype_from_config(config.get_string("dtype"))),
        first_(config.get_string("axis") == "first") {}

  void forward(Dict& sample, const sdk::Call&) {
    std::vector<int64_t> labels;
    std::vector<int64_t> shape;
    if (sample.type(key_) == FM_VALUE_INT) {
      labels.push_back(sample.get_int(key_));
    } else {
      TensorView t = sample.tensor(key_);
      if (sdk::is_floating(t.dtype()))
        fail(FM_ERR_TYPE, "key '" + key_ + "': labels must be integers, got a " + sdk::dtype_name(t.dtype()) +
                              " tensor (cast it first)");
      dispatch(t, [&](auto tag) {
        const auto* p = t.data<decltype(tag)>();
        labels.assign(p, p + t.numel());
      });
      shape = t.shape();
    }
    std::vector<int64_t> out_shape = shape;
    if (first_) out_shape.insert(out_shape.begin(), classes_);
    else out_shape.push_back(classes_);
    Tensor out = Tensor::empty(out_shape, dtype_);
    const int64_t n = static_cast<int64_t>(labels.size());
    if (!sdk::dispatch_dtype(dtype_, [&](auto tag) {
          using T = decltype(tag);
          T* o = out.data<T>();
          std::fill(o, o + n * classes_, T(0));
          for (int64_t i = 0; i < n; ++i) {
            const int64_t c = labels[static_cast<size_t>(i)];
            if (c < 0 || c >= classes_)
              fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': label " + std::to_string(c) + " is outside [0, " +
                                                std::to_string(classes_) + ")");
            o[first_ ? c * n + i : i * classes_ + c] = T(1);
          }
        }))
      fail(FM_ERR_TYPE, "unsupported dtype " + sdk::dtype_name(dtype_));
    sample.set_tensor(out_, std::move(out));
  }

 private:
  std::string key_, out_;
  int64_t classes_;
  DLDataType dtype_;
  bool first_;
};
FUSE_OP(OneHot, "fuse.ops.one_hot", "1.0.0")

class Argmax {
 public:
  explicit Argmax(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        axis_(config.get_int("axis")),
        as_int_(config.get_bool("as_int")) {}

  void forward(Dict& sample, const sdk::Call&) {
    TensorView t = sample.tensor(key_);
    if (t.ndim() == 0) fail(FM_ERR_SHAPE, "key '" + key_ + "': argmax needs at least one dimension");
    const int32_t a = axis_index(axis_, t.ndim(), 0, key_);
    std::vector<int64_t> shape = t.shape();
    int64_t outer = 1, inner = 1;
    for (int32_t d = 0; d < a; ++d) outer *= shape[static_cast<size_t>(d)];
    for (int32_t d = a + 1; d < t.ndim(); ++d) inner *= shape[static_cast<size_t>(d)];
    const int64_t size = shape[static_cast<size_t>(a)];
    shape.erase(shape.begin() + a);
    Tensor out = Tensor::empty(shape, sdk::kInt64);
    int64_t* o = out.data<int64_t>();
    dispatch(t, [&](auto tag) {
      const auto* x = t.data<decltype(tag)>();
      for (int64_t i = 0; i < outer; ++i)
        for (int64_t j = 0; j < inner; ++j) {
          int64_t best = 0;  // first maximum wins, as in NumPy and PyTorch
          for (int64_t k = 1; k < size; ++k)
            if (x[(i * size + k) * inner + j] > x[(i * size + best) * inner + j]) best = k;
          o[i * inner + j] = best;
        }
    });
    if (as_int_ && shape.empty()) sample.set_int(out_, o[0]);
    else sample.set_tensor(out_, std::move(out));
  }

 private:
  std::string key_, out_;
  int64_t axis_;
  bool as_int_;
};
FUSE_OP(Argmax, "fuse.ops.argmax", "1.0.0")

class Lookup {
 public:
  explicit Lookup(const DictView& config)
      : key_(config.get_string("key")), out_(config.find_string("out").value_or(key_)) {
    table_.copy("table", config, "table");
    has_default_ = !config.is_unset("default");
    if (has_default_) table_.copy("default", config, "default");
  }

  void forward(Dict& sample, const sdk::Call&) {
    std::string value;
    switch (sample.type(key_)) {
      case FM_VALUE_STRING: value = sample.get_string(key_); break;
      case FM_VALUE_INT: value = std::to_string(sample.get_int(key_)); break;
      case FM_VALUE_BOOL: value = sample.get_bool(key_) ? "true" : "false"; break;
      case FM_VALUE_MISSING: sample.get_string(key_); break;  // the host's missing-key error
      default: fail(FM_ERR_TYPE, "key '" + key_ + "': lookup needs a string, int or bool, got a " +
                                     sdk::value_type_name(sample.type(key_)));
    }
    const std::string entry = "table." + value;
    if (table_.has(entry)) {
      sample.copy(out_, table_, entry);
    } else if (has_default_) {
      sample.copy(out_, table_, "default");
    } else {
      std::vector<std::string> known = table_.keys("table");
      for (std::string& k : known) k = k.substr(6);
      std::string list;
      for (size_t i = 0; i < known.size(); ++i) list += (i ? ", " : "") + known[i];
      fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': value '" + value + "' is not in the lookup table (it has: " +
                                        list + "); add it or set 'default'");
    }
  }

 private:
  std::string key_, out_;
  sdk::OwnedDict table_;
  bool has_default_ = false;
};
FUSE_OP(Lookup, "fuse.ops.lookup", "1.0.0")

}  // namespace
}  // namespace fuse::ops
