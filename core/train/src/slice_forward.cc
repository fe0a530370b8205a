#include "fuse/train/slice_forward.h"

#include <map>

#include "fuse/base/error.h"
#include "batch_inputs.h"
#include "torch_view.h"

namespace fuse::train {

namespace {

[[noreturn]] void fail(Errc code, const std::string& message) { throw Error(code, "slice-wise prediction: " + message); }

}  // namespace

void slice_forward(NDict& sample, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs, const SliceSpec& spec,
                   const std::function<void(NDict&)>& forward) {
  const int64_t axis = spec.axis == "z" ? 2 : spec.axis == "y" ? 3 : spec.axis == "x" ? 4 : -1;  // in [1, channels, z, y, x]
  if (axis < 0) fail(Errc::kInvalidArgument, "'axis' must be \"z\", \"y\" or \"x\", got '" + spec.axis + "'");
  if (spec.batch < 1) fail(Errc::kInvalidArgument, "'batch' must be >= 1, got " + std::to_string(spec.batch));
  const CutInputs in = cut_inputs(sample, inputs, CutRule{3, "slice-wise prediction: ", "one volume at a time, [1, channels, z, y, x]",
                                                        "every sliced input is cut at the same slices", "slices need a model input shaped [1, channels, z, y, x]"});
  const std::vector<std::string>& sliced = in.cut;
  const std::vector<int64_t>& size = in.size;
  const int64_t count = size[static_cast<size_t>(axis - 2)];
  std::vector<int64_t> plane;  // the two axes a slice keeps
  for (int64_t a = 2; a < 5; ++a)
    if (a != axis) plane.push_back(size[static_cast<size_t>(a - 2)]);

  std::map<std::string, std::vector<torch::Tensor>> pieces;
  for (int64_t first = 0; first < count; first += spec.batch) {
    const int64_t n = std::min(spec.batch, count - first);
    NDict batch = sample;
    for (const std::string& k : sliced) {
      // [1, C, z, y, x] -> the n slices as a batch [n, C, plane].
      const torch::Tensor t = view(sample.get<Tensor>(k)).narrow(axis, first, n).movedim(axis, 0).squeeze(1).contiguous();
      batch.set(k, Value(wrap(t)));
    }
    repeat_along_batch(batch, in.repeated, static_cast<int64_t>(n));
    forward(batch);
    for (const std::string& k : outputs) {
      const Value* v = batch.find(k);
      if (v == nullptr || !v->is<Tensor>()) fail(Errc::kKeyNotFound, "the model did not write the tensor '" + k + "'");
      const torch::Tensor out = view(v->as<Tensor>());
      const std::vector<int64_t> expected{n, out.dim() > 1 ? out.size(1) : 1, plane[0], plane[1]};
      if (out.sizes().vec() != expected)
        fail(Errc::kShape, "the model's output '" + k + "' is " + shape_string(out.sizes().vec()) + " for " + std::to_string(n) + " slice(s) of " +
                               shape_string(plane) + "; only outputs shaped like their slice, " + shape_string(expected) +
                               ", can be stacked into a volume (predict non-spatial outputs without 'slices')");
      pieces[k].push_back(out);
    }
  }
  for (const std::string& k : outputs) {
    // [count, C, plane] -> [1, C, z, y, x]: the slice axis goes back where it was.
    sample.set(k, Value(wrap(torch::cat(pieces.at(k), 0).movedim(0, axis - 1).unsqueeze(0).contiguous())));
  }
}

}  // namespace fuse::train
