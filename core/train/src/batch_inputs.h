// What sliding-window and slice-wise prediction share: naming the model inputs in errors, and repeating the
// inputs that are not cut (e.g. tabular features) along the batch axis. Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_BATCH_INPUTS_H_
#define FUSE_TRAIN_SRC_BATCH_INPUTS_H_

#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"
#include "torch_view.h"

namespace fuse::train {

// "'a' [1, 1, 4, 4], 'b' (not a tensor)".
inline std::string inputs_text(const NDict& sample, const std::vector<std::string>& keys) {
  std::string text;
  for (const std::string& k : keys) {
    const Value* v = sample.find(k);
    text += (text.empty() ? "'" : ", '") + k + "' " + (v && v->is<Tensor>() ? shape_string(v->as<Tensor>().shape()) : std::string("(not a tensor)"));
  }
  return text;
}

// Each of `keys` with a batch axis of 1, repeated `n` times along it.
inline void repeat_along_batch(NDict& batch, const std::vector<std::string>& keys, int64_t n) {
  for (const std::string& k : keys) {
    const torch::Tensor t = view(batch.get<Tensor>(k));
    if (n > 1 && t.dim() > 0 && t.size(0) == 1) {
      std::vector<int64_t> times(static_cast<size_t>(t.dim()), 1);
      times[0] = n;
      batch.set(k, Value(wrap(t.repeat(times))));
    }
  }
}

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_BATCH_INPUTS_H_
