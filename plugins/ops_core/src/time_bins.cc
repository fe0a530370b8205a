// Survival times in discrete bins, for discrete-time survival models (pycox's LabTransDiscreteTime, DeepHit's
// time grid): a time becomes the index of its bin, which fuse.losses.discrete_time reads; and, in
// postprocessing, a model's per-bin event probabilities become an expected time in the time's own units, the
// probability of no event by a given time (5-year survival), or a survival curve at given times.
#include <algorithm>
#include <cmath>
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

constexpr int64_t kDefaultBins = 10;

class TimeBins {
 public:
  explicit TimeBins(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        expected_(config.get_bool("expected")),
        curve_(!config.is_unset("survival_times")),
        cuts_(read_cuts(config)) {
    if (!config.is_unset("survival_at")) times_ = {config.get_double("survival_at")};
    if (curve_) times_ = config.get_doubles("survival_times");
    if (expected_ + !config.is_unset("survival_at") + curve_ > 1)
      fail(FM_ERR_INVALID_ARGUMENT, "'expected', 'survival_at' and 'survival_times' exclude each other: one output per step");
    if (curve_ && times_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'survival_times' is empty; give the times of the curve");
    for (double h : times_)
      if (!(h >= 0)) fail(FM_ERR_INVALID_ARGUMENT, std::string(curve_ ? "'survival_times' must hold times" : "'survival_at' must be a time") + " >= 0, got " + number(h));
  }

  void forward(Dict& sample, const sdk::Call&) {
    if (expected_ || !times_.empty()) return from_probabilities(sample);
    const fm_value_type type = sample.type(key_);
    if (type == FM_VALUE_NULL) refuse_empty_cell(key_, "a time is needed to find its bin (a source's \"required\" leaves such rows out)");
    if (type == FM_VALUE_INT || type == FM_VALUE_DOUBLE) return sample.set_int(out_, bin(sample.get_double(key_)));
    TensorView t = sample.tensor(key_);
    Tensor out = Tensor::empty(t.shape(), sdk::kInt64);
    int64_t* o = out.data<int64_t>();
    dispatch(t, [&](auto tag) {
      const auto* x = t.data<decltype(tag)>();
      for (int64_t i = 0; i < t.numel(); ++i) o[i] = bin(static_cast<double>(x[i]));
    });
    sample.set_tensor(out_, std::move(out));
  }

 private:
  // The given cuts, or those of 'bins' of equal width up to 'max'.
  static std::vector<double> read_cuts(const DictView& config) {
    const std::optional<double> max = config.find_double("max");
    const std::optional<int64_t> bins = config.find_int("bins");
    std::vector<double> cuts;
    if (!config.is_unset("cuts")) {
      cuts = config.get_doubles("cuts");
      if (max) fail(FM_ERR_INVALID_ARGUMENT, "'cuts' and 'max' exclude each other: give the cuts, or equal bins up to 'max'");
      if (cuts.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'cuts' is empty; give at least one cut (two bins)");
      for (size_t i = 0; i < cuts.size(); ++i)
        if (!std::isfinite(cuts[i]) || cuts[i] <= 0 || (i > 0 && cuts[i] <= cuts[i - 1]))
          fail(FM_ERR_INVALID_ARGUMENT, "'cuts' must be finite, > 0 and increasing; cut " + std::to_string(i) + " is " + number(cuts[i]));
      if (bins && *bins != static_cast<int64_t>(cuts.size()) + 1)
        fail(FM_ERR_INVALID_ARGUMENT, "'bins' is " + std::to_string(*bins) + " but the " + std::to_string(cuts.size()) + " 'cuts' make " +
                                          std::to_string(cuts.size() + 1) + " bins; leave 'bins' out");
      return cuts;
    }
    if (!max)
      fail(FM_ERR_INVALID_ARGUMENT, "set 'max' (bins of equal width up to it) or 'cuts', or mark the step \"fit\": true to take the training "
                                    "samples' largest time");
    if (!(std::isfinite(*max) && *max > 0)) fail(FM_ERR_INVALID_ARGUMENT, "'max' must be a time > 0, got " + number(*max));
    const int64_t k = bins.value_or(kDefaultBins);
    if (k < 2) fail(FM_ERR_INVALID_ARGUMENT, "'bins' must be at least 2, got " + std::to_string(k));
    for (int64_t i = 1; i < k; ++i) cuts.push_back(*max * static_cast<double>(i) / static_cast<double>(k));
    return cuts;
  }

  // Bin b holds the times in (cuts[b-1], cuts[b]]; the first starts at 0, the last has no end.
  int64_t bin(double t) const {
    if (!(t >= 0)) fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': the time " + number(t) + " is not a time >= 0");
    return std::lower_bound(cuts_.begin(), cuts_.end(), t) - cuts_.begin();
  }

  // Bin b's start and end; the last, without an end, counts as wide as the one before it (the second of two
  // as wide as the first).
  std::pair<double, double> bounds(size_t b) const {
    const double low = b == 0 ? 0 : cuts_[b - 1];
    if (b < cuts_.size()) return {low, cuts_[b]};
    return {low, low + (low - (b >= 2 ? cuts_[b - 2] : 0))};
  }

  // Per row of per-bin probabilities, per output column the sum of probability x weight[b]: each bin's middle
  // gives the expected time; for the survival at time h, the share of each bin after h (times spread evenly
  // over their bin). A curve ('survival_times') keeps a last axis of its times.
  void from_probabilities(Dict& sample) {
    TensorView t = sample.tensor(key_);
    const int64_t k = static_cast<int64_t>(cuts_.size()) + 1;
    if (t.ndim() == 0 || t.shape().back() != k)
      fail(FM_ERR_SHAPE, "key '" + key_ + "': '" + (expected_ ? "expected" : curve_ ? "survival_times" : "survival_at") +
                             "' reads per-bin probabilities on the last axis, " + std::to_string(k) + " bins, got shape " + sdk::shape_string(t.dl()));
    std::vector<std::vector<double>> weights;  // per output column, per bin
    for (size_t c = 0; c < (expected_ ? 1 : times_.size()); ++c) {
      std::vector<double> weight(static_cast<size_t>(k));
      for (size_t b = 0; b < weight.size(); ++b) {
        const auto [low, high] = bounds(b);
        weight[b] = expected_ ? (low + high) / 2 : std::clamp((high - times_[c]) / (high - low), 0.0, 1.0);
      }
      weights.push_back(std::move(weight));
    }
    std::vector<int64_t> shape = t.shape();
    shape.pop_back();
    if (curve_) shape.push_back(static_cast<int64_t>(weights.size()));
    const int64_t rows = t.numel() / k;
    const size_t columns = weights.size();
    std::vector<double> sums(static_cast<size_t>(rows) * columns, 0.0);
    dispatch(t, [&](auto tag) {
      const auto* p = t.data<decltype(tag)>();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t b = 0; b < k; ++b) {
          const double q = static_cast<double>(p[r * k + b]);
          if (!(q >= 0))
            fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': row " + std::to_string(r) + " has the probability " + number(q) + " in bin " + std::to_string(b));
          for (size_t c = 0; c < columns; ++c) sums[static_cast<size_t>(r) * columns + c] += q * weights[c][static_cast<size_t>(b)];
        }
    });
    // float64 stays float64; everything else gives float32, as the model's outputs are.
    const bool wide = t.dtype().code == kDLFloat && t.dtype().bits == 64;
    Tensor out = Tensor::empty(shape, wide ? sdk::kFloat64 : sdk::kFloat32);
    for (size_t i = 0; i < sums.size(); ++i)
      if (wide) out.data<double>()[i] = sums[i];
      else out.data<float>()[i] = static_cast<float>(sums[i]);
    sample.set_tensor(out_, std::move(out));
  }

  std::string key_, out_;
  bool expected_;
  bool curve_;                 // 'survival_times': a last axis of times
  std::vector<double> times_;  // 'survival_at' (one) or 'survival_times'

  std::vector<double> cuts_;  // increasing, > 0; bins = cuts + 1
};
FUSE_OP(TimeBins, "fuse.ops.time_bins", "1.0.0")

}  // namespace
}  // namespace fuse::ops
