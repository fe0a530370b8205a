// A complete plugin: one class and two macros.
#include <fuse_sdk/plugin.hpp>

class Invert {
 public:
  explicit Invert(const fuse::sdk::DictView& config)
      : keys_(config.get_strings("keys")), top_(static_cast<float>(config.get_double("top"))) {}

  void forward(fuse::sdk::Dict& sample, const fuse::sdk::Call&) {
    for (const std::string& key : keys_) {
      fuse::sdk::MutTensorView x = sample.tensor_mut(key);
      float* p = x.data<float>();  // checks the dtype and layout, with an error naming the key
      for (int64_t i = 0; i < x.numel(); ++i) p[i] = top_ - p[i];
    }
  }

 private:
  std::vector<std::string> keys_;
  float top_;
};

FUSE_OP(Invert, "acme.invert", "1.0.0")
FUSE_PLUGIN("acme.ops", "1.0.0")
