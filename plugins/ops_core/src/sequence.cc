// FuseMedML's OpRandCropSeq: an augmentation for sequences (a protein's amino acids, a signal's samples) that
// cuts a random share, up to `max_ratio`, off one or both ends. Several keys are cut alike (a sequence and its
// per-position labels), so they must be as long.
#include <cstring>

#include "fuse_sdk/random.hpp"
#include "tensor_math.h"

namespace fuse::ops {
namespace {

class RandomCropSequence {
 public:
  explicit RandomCropSequence(const DictView& config)
      : keys_(config.get_strings("keys")), max_ratio_(config.get_double("max_ratio")), mode_(config.get_string("mode")), axis_(config.get_int("axis")) {
    if (keys_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'keys' is empty: name the sequences to crop");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;  // an augmentation: evaluation sees whole sequences
    int64_t length = -1;
    for (const std::string& key : keys_) {
      const int64_t n = length_of(sample, key);
      if (length >= 0 && n != length)
        fail(FM_ERR_SHAPE, "key '" + key + "' is " + std::to_string(n) + " long but '" + keys_[0] + "' is " + std::to_string(length) +
                               "; the sequences of one crop must be as long");
      length = n;
    }
    sdk::Random rng(call.seed());
    const int64_t cut = static_cast<int64_t>(rng.uniform(0, max_ratio_) * static_cast<double>(length));
    const int64_t left = mode_ == "left" ? cut : mode_ == "right" ? 0 : static_cast<int64_t>(rng.below(static_cast<uint64_t>(cut) + 1));
    for (const std::string& key : keys_) crop(sample, key, left, length - cut);
  }

 private:
  int64_t length_of(const Dict& sample, const std::string& key) const {
    if (sample.type(key) == FM_VALUE_STRING) return static_cast<int64_t>(sample.get_string_view(key).size());
    TensorView t = sample.tensor(key);
    if (t.ndim() == 0) fail(FM_ERR_SHAPE, "key '" + key + "' is a scalar tensor, not a sequence");
    return t.shape()[static_cast<size_t>(axis_index(axis_, t.ndim(), 0, key))];
  }

  // Keeps `count` positions from `first` on.
  void crop(Dict& sample, const std::string& key, int64_t first, int64_t count) const {
    if (sample.type(key) == FM_VALUE_STRING) {
      const std::string text(sample.get_string_view(key).substr(static_cast<size_t>(first), static_cast<size_t>(count)));
      sample.set_string(key, text);
      return;
    }
    TensorView t = sample.tensor(key);
    t.require_cpu_contiguous();
    const int32_t a = axis_index(axis_, t.ndim(), 0, key);
    const Extents e = extents(t.shape(), a);
    std::vector<int64_t> shape = t.shape();
    shape[static_cast<size_t>(a)] = count;
    Tensor out = Tensor::empty(shape, t.dtype());
    const size_t item = static_cast<size_t>(sdk::dtype_size(t.dtype())), run = static_cast<size_t>(count * e.inner) * item;
    const char* in = static_cast<const char*>(t.raw());
    char* o = static_cast<char*>(out.mut().raw());
    for (int64_t i = 0; i < e.outer; ++i)
      std::memcpy(o + static_cast<size_t>(i) * run, in + static_cast<size_t>((i * e.size + first) * e.inner) * item, run);
    sample.set_tensor(key, std::move(out));
  }

  std::vector<std::string> keys_;
  double max_ratio_;
  std::string mode_;
  int64_t axis_;
};
FUSE_OP(RandomCropSequence, "fuse.ops.random_crop_sequence", "1.0.0")

}  // namespace
}  // namespace fuse::ops
