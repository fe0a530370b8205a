// Making tensors: to_tensor (numbers and nested lists of numbers) and cast (changing a tensor's dtype).
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

// Reads a number or a nested list of numbers through the dict, recording the shape; all_ints turns false when a
// double is seen.
void read_numbers(const DictView& d, const std::string& key, size_t depth, std::vector<int64_t>& shape,
                  std::vector<double>& values, bool& all_ints) {
  switch (d.type(key)) {
    case FM_VALUE_LIST: {
      const size_t n = d.list_length(key);
      if (depth == shape.size()) shape.push_back(static_cast<int64_t>(n));
      else if (depth > shape.size() || shape[depth] != static_cast<int64_t>(n))
        fail(FM_ERR_SHAPE, "key '" + key + "': nested lists of different lengths cannot form a tensor");
      for (size_t i = 0; i < n; ++i) read_numbers(d, key + "." + std::to_string(i), depth + 1, shape, values, all_ints);
      return;
    }
    case FM_VALUE_INT:
      values.push_back(static_cast<double>(d.get_int(key)));
      break;
    case FM_VALUE_BOOL:
      values.push_back(d.get_bool(key) ? 1.0 : 0.0);
      break;
    case FM_VALUE_DOUBLE:
      values.push_back(d.get_double(key));
      all_ints = false;
      break;
    default:
      fail(FM_ERR_TYPE, "key '" + key + "': cannot make a tensor from a " + sdk::value_type_name(d.type(key)));
  }
  if (depth != shape.size()) fail(FM_ERR_SHAPE, "key '" + key + "': a number where a list was expected");
}

class ToTensor {
 public:
  explicit ToTensor(const DictView& config) : keys_(config.get_strings("keys")) {
    if (std::optional<std::string> name = config.find_string("dtype")) dtype_ = dtype_from_config(*name);
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      if (sample.type(key) == FM_VALUE_TENSOR) {
        if (dtype_ && !sdk::dtype_eq(*dtype_, sample.tensor(key).dtype())) sample.set_tensor(key, sdk::converted(sample.tensor(key), *dtype_));
        continue;
      }
      if (sample.type(key) == FM_VALUE_MISSING) sample.tensor(key);  // the host's missing-key error
      std::vector<int64_t> shape;
      std::vector<double> values;
      bool all_ints = true;
      read_numbers(sample, key, 0, shape, values, all_ints);
      // Python's habit: integers become int64, other numbers float32.
      const DLDataType natural = all_ints ? sdk::kInt64 : sdk::kFloat32;
      Tensor t = Tensor::empty(shape, natural);
      if (all_ints) {
        int64_t* p = t.data<int64_t>();
        for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<int64_t>(values[i]);
      } else {
        float* p = t.data<float>();
        for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<float>(values[i]);
      }
      if (dtype_ && !sdk::dtype_eq(*dtype_, natural)) t = sdk::converted(t.view(), *dtype_);
      sample.set_tensor(key, std::move(t));
    }
  }

 private:
  std::vector<std::string> keys_;
  std::optional<DLDataType> dtype_;
};
FUSE_OP(ToTensor, "fuse.ops.to_tensor", "1.0.0")

class Cast {
 public:
  explicit Cast(const DictView& config)
      : keys_(config.get_strings("keys")), dtype_(dtype_from_config(config.get_string("dtype"))) {}

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      TensorView t = sample.tensor(key);
      if (!sdk::dtype_eq(t.dtype(), dtype_)) sample.set_tensor(key, sdk::converted(t, dtype_));
    }
  }

 private:
  std::vector<std::string> keys_;
  DLDataType dtype_;
};
FUSE_OP(Cast, "fuse.ops.cast", "1.0.0")

}  // namespace
}  // namespace fuse::ops
