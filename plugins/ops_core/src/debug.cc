// A debugging op (FuseMedML's OpPrintKeys, OpPrintShapes and OpPrintTypes in one): logs what a sample holds at
// this point of a pipeline, for its first few samples, and changes nothing.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

// "float32[1, 28, 28] in [-1.2, 3.4]", "int64 3", "\"case_01\"", "list[4]", "dict".
std::string describe(const DictView& sample, const std::string& key) {
  switch (sample.type(key)) {
    case FM_VALUE_NULL: return "null";
    case FM_VALUE_INT: return "int " + std::to_string(sample.get_int(key));
    case FM_VALUE_DOUBLE: return "double " + number(sample.get_double(key));
    case FM_VALUE_BOOL: return sample.get_bool(key) ? "bool true" : "bool false";
    case FM_VALUE_STRING: {
      const std::string s = sample.get_string(key);
      return "\"" + (s.size() > 60 ? s.substr(0, 57) + "..." : s) + "\"";
    }
    case FM_VALUE_LIST: return "list[" + std::to_string(sample.list_length(key)) + "]";
    case FM_VALUE_DICT: return "dict";
    case FM_VALUE_TENSOR: {
      const TensorView t = sample.tensor(key);
      std::string text = sdk::dtype_name(t.dtype()) + sdk::shape_string(t.dl());
      if (t.device().device_type != kDLCPU) return text + " on device " + std::to_string(t.device().device_type) + ":" + std::to_string(t.device().device_id);
      if (t.numel() == 0 || !sdk::is_contiguous(t.dl())) return text;
      double low = INFINITY, high = -INFINITY;
      const bool numeric = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
        const auto* p = static_cast<const decltype(tag)*>(t.raw());
        for (int64_t i = 0; i < t.numel(); ++i) low = std::min(low, static_cast<double>(p[i])), high = std::max(high, static_cast<double>(p[i]));
      });
      return numeric ? text + " in [" + number(low) + ", " + number(high) + "]" : text;
    }
    default: return "missing";
  }
}

class Print {
 public:
  explicit Print(const DictView& config)
      : keys_(config.get_strings("keys")), first_(config.get_int("first")), label_(config.get_string("label")) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (first_ >= 0 && call.sample_index() >= first_) return;
    std::string text = sample.type("data.sample_id") == FM_VALUE_STRING ? "sample '" + sample.get_string("data.sample_id") + "'"
                                                                         : "sample #" + std::to_string(call.sample_index());
    if (!label_.empty()) text += " (" + label_ + ")";
    text += ":";
    for (const std::string& key : keys_.empty() ? sample.keys("", true) : keys_) text += "\n  " + key + ": " + describe(sample, key);
    sdk::log(FM_LOG_WARNING, text.c_str());  // asked for in the pipeline, so shown at the default log level
  }

 private:
  std::vector<std::string> keys_;
  int64_t first_;
  std::string label_;
};
FUSE_OP(Print, "fuse.ops.print", "1.0.0")

}  // namespace
}  // namespace fuse::ops
