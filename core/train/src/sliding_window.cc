#include "fuse/train/sliding_window.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "fuse/base/error.h"
#include "batch_inputs.h"
#include "torch_view.h"

namespace fuse::train {

namespace {

constexpr float kLeastWeight = 1e-6f;

[[noreturn]] void fail(Errc code, const std::string& message) { throw Error(code, "sliding-window inference: " + message); }


// Every window's first voxel (tensor order), the first axis slowest.
std::vector<std::vector<int64_t>> window_corners(const std::vector<int64_t>& size, const std::vector<int64_t>& window, double overlap) {
  std::vector<std::vector<int64_t>> corners{{}};
  for (size_t a = 0; a < size.size(); ++a) {
    std::vector<std::vector<int64_t>> next;
    for (const auto& c : corners)
      for (int64_t s : window_starts(size[a], window[a], overlap)) {
        next.push_back(c);
        next.back().push_back(s);
      }
    corners = std::move(next);
  }
  return corners;
}

torch::Tensor at_window(torch::Tensor t, const std::vector<int64_t>& corner, const std::vector<int64_t>& window) {
  for (size_t a = 0; a < corner.size(); ++a) t = t.narrow(static_cast<int64_t>(2 + a), corner[a], window[a]);
  return t;
}

}  // namespace

std::vector<int64_t> window_starts(int64_t length, int64_t window, double overlap) {
  if (length <= window) return {0};
  // The small epsilon keeps e.g. 48 * (1 - 0.25) = 36 from rounding down to 35.
  const int64_t stride = std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(window) * (1 - overlap) + 1e-9)));
  const int64_t count = (length - window + stride - 1) / stride + 1;
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < count; ++i) starts.push_back(std::min(i * stride, length - window));
  return starts;
}

std::vector<float> window_weights(const std::vector<int64_t>& shape, const std::string& blend, double sigma_scale) {
  std::vector<float> weights{1.0f};
  for (int64_t n : shape) {
    std::vector<double> axis(static_cast<size_t>(n), 1.0);
    if (blend == "gaussian") {
      const double centre = static_cast<double>(n - 1) / 2, sigma = sigma_scale * static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) axis[static_cast<size_t>(i)] = std::exp(-0.5 * std::pow((static_cast<double>(i) - centre) / sigma, 2));
      const double peak = *std::max_element(axis.begin(), axis.end());
      for (double& w : axis) w /= peak;
    } else if (blend != "constant") {
      fail(Errc::kInvalidArgument, "unknown blend '" + blend + "' (gaussian, constant)");
    }
    std::vector<float> next;
    next.reserve(weights.size() * axis.size());
    for (float w : weights)
      for (double a : axis) next.push_back(static_cast<float>(w * a));
    weights = std::move(next);
  }
  for (float& w : weights) w = std::max(w, kLeastWeight);
  return weights;
}

void sliding_window_forward(NDict& sample, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                            const SlidingWindowSpec& spec, const std::function<void(NDict&)>& forward) {
  if (spec.size.empty()) return forward(sample);  // no window: the model sees the sample whole
  const size_t d = spec.size.size();
  if (d < 2 || d > 3) fail(Errc::kInvalidArgument, "the window must have 2 or 3 axes, got " + shape_string(spec.size));
  if (spec.batch < 1) fail(Errc::kInvalidArgument, "'batch' must be >= 1, got " + std::to_string(spec.batch));
  const std::vector<int64_t> window(spec.size.rbegin(), spec.size.rend());  // x first in the config, last in tensors
  const char* layout = d == 3 ? "[1, channels, z, y, x]" : "[1, channels, y, x]";

  // The windowed inputs: every tensor input with d spatial axes after [batch, channels], of one spatial size.
  const CutInputs in = cut_inputs(sample, inputs, CutRule{d, "sliding-window inference: ", std::string("one input at a time, ") + layout,
                                                        "every windowed input is cut at the same voxels",
                                                        "a window of " + std::to_string(d) + " axes needs a model input shaped " + layout});
  const std::vector<std::string>& windowed = in.cut;
  const std::vector<int64_t>& size = in.size;

  // Pad what is smaller than a window on both sides; the outputs are cropped back.
  std::vector<int64_t> padded(d), before(d), pad;  // pad: torch's order, last axis first
  for (size_t a = d; a-- > 0;) {
    padded[a] = std::max(size[a], window[a]);
    before[a] = (padded[a] - size[a]) / 2;
    pad.push_back(before[a]);
    pad.push_back(padded[a] - size[a] - before[a]);
  }
  std::map<std::string, torch::Tensor> whole;
  for (const std::string& k : windowed) {
    torch::Tensor t = view(sample.get<Tensor>(k));
    whole[k] = padded == size ? t : torch::constant_pad_nd(t, pad, spec.pad_value);
  }

  const std::vector<std::vector<int64_t>> corners = window_corners(padded, window, spec.overlap);
  std::vector<float> w = window_weights(window, spec.blend, spec.sigma_scale);
  std::vector<int64_t> weight_shape{1, 1};
  weight_shape.insert(weight_shape.end(), window.begin(), window.end());
  const torch::Tensor weights = torch::from_blob(w.data(), weight_shape, torch::kFloat32).clone();
  std::vector<int64_t> whole_shape{1, 1};
  whole_shape.insert(whole_shape.end(), padded.begin(), padded.end());
  torch::Tensor weight_sum = torch::zeros(whole_shape, torch::kFloat32);
  for (const auto& c : corners) at_window(weight_sum, c, window).add_(weights);

  std::map<std::string, torch::Tensor> sums;
  for (size_t first = 0; first < corners.size(); first += static_cast<size_t>(spec.batch)) {
    const size_t n = std::min(corners.size() - first, static_cast<size_t>(spec.batch));
    NDict batch = sample;
    for (const std::string& k : windowed) {
      std::vector<torch::Tensor> pieces;
      for (size_t j = 0; j < n; ++j) pieces.push_back(at_window(whole[k], corners[first + j], window));
      batch.set(k, Value(wrap(torch::cat(pieces, 0))));
    }
    repeat_along_batch(batch, in.repeated, static_cast<int64_t>(n));
    forward(batch);
    for (const std::string& k : outputs) {
      const Value* v = batch.find(k);
      if (v == nullptr || !v->is<Tensor>()) fail(Errc::kKeyNotFound, "the model did not write the tensor '" + k + "'");
      torch::Tensor out = view(v->as<Tensor>());
      std::vector<int64_t> expected{static_cast<int64_t>(n), out.dim() > 1 ? out.size(1) : 1};
      expected.insert(expected.end(), window.begin(), window.end());
      if (out.sizes().vec() != expected)
        fail(Errc::kShape, "the model's output '" + k + "' is " + shape_string(out.sizes().vec()) + " for " + std::to_string(n) +
                               " window(s) of " + shape_string(window) + "; only outputs shaped like their window, " + shape_string(expected) +
                               ", can be blended (predict non-spatial outputs on the whole input, without sliding_window)");
      if (!out.is_floating_point())
        fail(Errc::kType, "the model's output '" + k + "' is " + sdk::dtype_name(v->as<Tensor>().dtype()) +
                               "; blending needs floating-point outputs (take the argmax in the postprocess)");
      out = out.to(torch::kFloat32);
      torch::Tensor& sum = sums[k];
      if (!sum.defined()) {
        std::vector<int64_t> shape = whole_shape;
        shape[1] = out.size(1);
        sum = torch::zeros(shape, out.options());
      }
      const torch::Tensor wd = weights.to(out.device());
      for (size_t j = 0; j < n; ++j) at_window(sum, corners[first + j], window).add_(out.narrow(0, static_cast<int64_t>(j), 1) * wd);
    }
  }
  for (const std::string& k : outputs) {
    torch::Tensor out = sums.at(k) / weight_sum.to(sums.at(k).device());
    for (size_t a = 0; a < d; ++a) out = out.narrow(static_cast<int64_t>(2 + a), before[a], size[a]);
    sample.set(k, Value(wrap(out)));
  }
}

}  // namespace fuse::train
