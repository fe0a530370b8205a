// A Cox model's risk score as survival probabilities (pycox's CoxPH.predict_surv, lifelines' and
// scikit-survival's Breslow baseline): S(t | x) = exp(-H0(t) * exp(risk(x))), with the baseline cumulative
// hazard H0 a step function fitted after training to the model's risks on the training samples (a postprocess
// step marked "fit": {"time": KEY, "event": KEY}). So a Cox model gives what fuse.metrics.survival_calibration,
// survival_brier and integrated_brier score, and what a clinician reads: the probability of no event by 5 years.
#include <algorithm>
#include <cmath>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

class CoxSurvival {
 public:
  explicit CoxSurvival(const DictView& config)
      : key_(config.get_string("key")), out_(config.get_string("out")), curve_(!config.is_unset("survival_times")) {
    if (config.is_unset("baseline_times") || config.is_unset("baseline_hazard"))
      fail(FM_ERR_INVALID_ARGUMENT, "'baseline_times' and 'baseline_hazard' are not set: mark the step \"fit\": {\"time\": TIME KEY, \"event\": EVENT KEY} "
                                    "to fit them to the trained model's risks on the training samples (Breslow), or give both");
    times_ = config.get_doubles("baseline_times");
    hazard_ = config.get_doubles("baseline_hazard");
    if (times_.size() != hazard_.size())
      fail(FM_ERR_INVALID_ARGUMENT, "'baseline_times' has " + std::to_string(times_.size()) + " times but 'baseline_hazard' " + std::to_string(hazard_.size()) +
                                        " values; they pair up");
    for (size_t i = 0; i < times_.size(); ++i) {
      if (!std::isfinite(times_[i]) || times_[i] < 0 || (i > 0 && times_[i] <= times_[i - 1]))
        fail(FM_ERR_INVALID_ARGUMENT, "'baseline_times' must be finite, >= 0 and increasing; time " + std::to_string(i) + " is " + number(times_[i]));
      if (!std::isfinite(hazard_[i]) || hazard_[i] < 0 || (i > 0 && hazard_[i] < hazard_[i - 1]))
        fail(FM_ERR_INVALID_ARGUMENT, "'baseline_hazard' is a cumulative hazard: finite, >= 0 and not decreasing; value " + std::to_string(i) + " is " +
                                          number(hazard_[i]));
    }
    if (!config.is_unset("survival_at")) at_ = {config.get_double("survival_at")};
    if (curve_) at_ = config.get_doubles("survival_times");
    if (!config.is_unset("survival_at") && curve_) fail(FM_ERR_INVALID_ARGUMENT, "'survival_at' and 'survival_times' exclude each other: one output per step");
    if (at_.empty())
      fail(FM_ERR_INVALID_ARGUMENT, curve_ ? "'survival_times' is empty; give the times of the curve"
                                           : "set 'survival_at' (the probability of no event by that time) or 'survival_times' (a curve)");
    for (double h : at_)
      if (!(h >= 0)) fail(FM_ERR_INVALID_ARGUMENT, std::string(curve_ ? "'survival_times' must hold times" : "'survival_at' must be a time") + " >= 0, got " + number(h));
  }

  void forward(Dict& sample, const sdk::Call&) {
    std::vector<double> baseline;  // H0 at each asked time: the last step at or before it (0 before the first)
    for (double h : at_) {
      const size_t steps = static_cast<size_t>(std::upper_bound(times_.begin(), times_.end(), h) - times_.begin());
      baseline.push_back(steps == 0 ? 0.0 : hazard_[steps - 1]);
    }
    const fm_value_type type = sample.type(key_);
    if (type == FM_VALUE_INT || type == FM_VALUE_DOUBLE) {
      if (curve_) fail(FM_ERR_SHAPE, "key '" + key_ + "' holds a number; a curve ('survival_times') needs a tensor of risks");
      return sample.set_double(out_, survival(sample.get_double(key_), baseline[0], 0));
    }
    TensorView t = sample.tensor(key_);
    // One risk per row: [N] or [N, 1].
    std::vector<int64_t> shape = t.shape();
    if (!shape.empty() && shape.back() == 1 && shape.size() > 1) shape.pop_back();
    if (shape.size() > 1)
      fail(FM_ERR_SHAPE, "key '" + key_ + "': one risk score per row is needed ([N] or [N, 1]), got shape " + sdk::shape_string(t.dl()));
    if (curve_) shape.push_back(static_cast<int64_t>(at_.size()));
    const bool wide = t.dtype().code == kDLFloat && t.dtype().bits == 64;  // float64 kept; else float32, as the model's outputs are
    Tensor out = Tensor::empty(shape, wide ? sdk::kFloat64 : sdk::kFloat32);
    const size_t columns = at_.size();
    dispatch(t, [&](auto tag) {
      const auto* risk = t.data<decltype(tag)>();
      for (int64_t r = 0; r < t.numel(); ++r)
        for (size_t c = 0; c < columns; ++c) {
          const double s = survival(static_cast<double>(risk[r]), baseline[c], r);
          const size_t i = static_cast<size_t>(r) * columns + c;
          if (wide) out.data<double>()[i] = s;
          else out.data<float>()[i] = static_cast<float>(s);
        }
    });
    sample.set_tensor(out_, std::move(out));
  }

 private:
  double survival(double risk, double baseline, int64_t row) const {
    if (!std::isfinite(risk)) fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "': row " + std::to_string(row) + " has the risk " + number(risk));
    return std::exp(-baseline * std::exp(risk));
  }

  std::string key_, out_;
  bool curve_;
  std::vector<double> at_;  // 'survival_at' (one) or 'survival_times'
  std::vector<double> times_, hazard_;
};
FUSE_OP(CoxSurvival, "fuse.ops.cox_survival", "1.0.0")

}  // namespace
}  // namespace fuse::ops
