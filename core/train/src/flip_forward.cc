#include "fuse/train/flip_forward.h"

#include <algorithm>
#include <map>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "torch_view.h"

namespace fuse::train {

void flip_forward(NDict& sample, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs, const std::vector<std::vector<int>>& flips,
                  const std::function<void(NDict&)>& forward) {
  std::vector<std::vector<int>> passes{{}};
  passes.insert(passes.end(), flips.begin(), flips.end());
  std::map<std::string, torch::Tensor> sums;
  NDict first;  // the identity pass, whose other keys the sample keeps
  for (const std::vector<int>& flip : passes) {
    NDict b = sample;  // tensors shared, copied on write
    int64_t input_rank = 0;
    std::vector<int64_t> dims;
    for (const std::string& k : inputs) {
      const Value* v = b.find(k);
      if (v == nullptr || !v->is<Tensor>()) continue;  // forward says what is missing
      torch::Tensor t = view(v->as<Tensor>());
      input_rank = t.dim();
      dims.clear();
      for (int a : flip) {
        if (t.dim() - 1 - a < 2)  // the batch or channel axis: not a spatial one
          throw Error(Errc::kShape, std::string("a test-time flip along ") + "xyz"[a] + " but the model input '" + k + "' is " + shape_string(v->as<Tensor>().shape()) +
                                        " ([batch, channels, ...] with " + std::to_string(std::max<int64_t>(0, t.dim() - 2)) +
                                        " spatial axes): flip its spatial axes only (xy for a 2D input)");
        dims.push_back(t.dim() - 1 - a);
      }
      if (!dims.empty()) b.set(k, Value(wrap(t.flip(dims))));
    }
    forward(b);
    for (const std::string& k : outputs) {
      torch::Tensor out = view(b.get<Tensor>(k)).to(torch::kCPU);
      if (!out.is_floating_point()) {
        if (flip.empty()) sums[k] = out;
        continue;
      }
      if (!dims.empty() && out.dim() == input_rank) out = out.flip(dims);
      out = out.to(torch::kFloat32);
      sums[k] = sums.count(k) ? sums[k] + out : out.clone();
    }
    if (flip.empty()) first = std::move(b);
  }
  sample = std::move(first);
  for (auto& [k, t] : sums) sample.set(k, Value(wrap(t.is_floating_point() ? t / static_cast<double>(passes.size()) : t)));
}

}  // namespace fuse::train
