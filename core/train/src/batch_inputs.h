// What sliding-window and slice-wise prediction share: sorting the model inputs into those cut into pieces and
// those repeated along the batch axis (e.g. tabular features), and naming them in errors. Internal to the
// trainer.
#ifndef FUSE_TRAIN_SRC_BATCH_INPUTS_H_
#define FUSE_TRAIN_SRC_BATCH_INPUTS_H_

#include <string>
#include <vector>

#include "fuse/base/error.h"
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

// How one kind of prediction cuts its inputs, and its words for what went wrong.
struct CutRule {
  size_t spatial_axes;        // a cut input is [1, channels, <spatial_axes axes>]
  std::string prefix;         // "slice-wise prediction: "
  std::string one_at_a_time;  // "one volume at a time, [1, channels, z, y, x]"
  std::string same_cut;       // "every sliced input is cut at the same slices"
  std::string none;           // "slices need a model input shaped [1, channels, z, y, x]"
};

struct CutInputs {
  std::vector<std::string> cut, repeated;
  std::vector<int64_t> size;  // the cut inputs' spatial size
};

// The tensor inputs with the rule's spatial axes, which must share one spatial size and a batch of 1, and
// the other tensors; keys that hold no tensor are in neither.
inline CutInputs cut_inputs(const NDict& sample, const std::vector<std::string>& inputs, const CutRule& rule) {
  auto fail = [&](const std::string& message) { throw Error(Errc::kShape, rule.prefix + message); };
  CutInputs out;
  for (const std::string& k : inputs) {
    const Value* v = sample.find(k);
    if (v == nullptr || !v->is<Tensor>()) continue;
    const Tensor& t = v->as<Tensor>();
    if (static_cast<size_t>(t.ndim()) != rule.spatial_axes + 2) {
      out.repeated.push_back(k);
      continue;
    }
    if (t.shape()[0] != 1) fail("the model input '" + k + "' is " + shape_string(t.shape()) + "; " + rule.one_at_a_time);
    const std::vector<int64_t> spatial(t.shape().begin() + 2, t.shape().end());
    if (out.size.empty()) out.size = spatial;
    else if (spatial != out.size)
      fail("the model inputs " + inputs_text(sample, out.cut) + " and '" + k + "' " + shape_string(t.shape()) + " differ in spatial size; " + rule.same_cut);
    out.cut.push_back(k);
  }
  if (out.cut.empty()) fail(rule.none + "; the inputs are " + inputs_text(sample, inputs));
  return out;
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
