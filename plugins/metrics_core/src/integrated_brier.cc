// The integrated Brier score (Graf et al., 1999; pycox's and scikit-survival's integrated_brier_score): the
// censoring-weighted Brier score of predicted survival curves at each of `times` (fuse.metrics.survival_brier's,
// time by time), averaged over [first, last] time by the trapezoidal rule. One number for a whole curve: it
// rewards ranking and calibration at every time, where the C-index sees ranks only.
#include <cmath>

#include "common.h"
#include "survival_estimates.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

class IntegratedBrier {
 public:
  explicit IntegratedBrier(const DictView& config)
      : pred_(config.get_string("pred")), time_(config.get_string("time")), event_(config.get_string("event")), times_(config.get_doubles("times")) {
    if (times_.size() < 2) fail(FM_ERR_INVALID_ARGUMENT, "'times' needs at least two times to integrate over, got " + std::to_string(times_.size()));
    for (size_t k = 0; k < times_.size(); ++k)
      if (!(times_[k] > 0) || (k > 0 && !(times_[k] > times_[k - 1])))
        fail(FM_ERR_INVALID_ARGUMENT, "'times' must be > 0 and increasing; time " + std::to_string(k) + " is " + number_text(times_[k]));
  }

  void reset() { rows_.clear(), curves_.clear(); }
  void update(const DictView& batch) {
    TensorView p = batch.tensor(pred_);
    const size_t t = times_.size();
    if (p.ndim() != 2 || p.size(1) != static_cast<int64_t>(t))
      fail(FM_ERR_SHAPE, "key '" + pred_ + "': expected each row's survival at the " + std::to_string(t) + " 'times' ([n, " + std::to_string(t) +
                             "]; fuse.ops.time_bins' 'survival_times'), got shape " + sdk::shape_string(p.dl()));
    const std::vector<double> v = read_numbers(p);
    for (size_t i = 0; i < v.size(); ++i)
      if (!(v[i] >= 0 && v[i] <= 1))
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + pred_ + "': row " + std::to_string(i / t) + " holds " + number_text(v[i]) + " at time " + number_text(times_[i % t]) +
                                          ", not a probability of no event");
    rows_.add(std::vector<double>(v.size() / t, 0.0), batch, pred_, time_, event_, false, true);  // times and events; no risk
    curves_.insert(curves_.end(), v.begin(), v.end());
  }
  void merge(const IntegratedBrier& o) {
    rows_.merge(o.rows_);
    curves_.insert(curves_.end(), o.curves_.begin(), o.curves_.end());
  }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, rows_.size(), result); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    if (n != rows_.size()) fail(FM_ERR_INVALID_ARGUMENT, "counts do not match the rows seen");
    if (n == 0) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    const size_t t = times_.size();
    std::vector<double> score(t), null_score(t);
    double known = 0;
    const std::vector<uint32_t> by_time = time_order(rows_);  // one sort for every time
    for (size_t k = 0; k < t; ++k) {
      const BrierAt b = brier_at(rows_, by_time, counts, times_[k], [&](size_t i) { return curves_[i * t + k]; });
      score[k] = b.brier, null_score[k] = b.null, known += b.known;
    }
    if (known == 0) fail(FM_ERR_NUMERIC, "no row has its event by a time of 'times' or is followed past one: nothing to score");
    const auto integrate = [&](const std::vector<double>& b) {
      double area = 0;
      for (size_t k = 0; k + 1 < t; ++k) area += (b[k] + b[k + 1]) / 2 * (times_[k + 1] - times_[k]);
      return area / (times_.back() - times_.front());
    };
    const double ibs = integrate(score), ibs_null = integrate(null_score);
    result.set_double("integrated_brier", ibs);
    result.set_double("integrated_brier_null", ibs_null);
    result.set_double("integrated_brier_skill", 1 - ratio(ibs, ibs_null));
    result.set_tensor("brier_at", vector_tensor(score));
  }

  void save(sdk::Writer& w) const {
    rows_.save(w);
    w.write(curves_.data(), curves_.size() * sizeof(double));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      rows_.read(r);
      curves_ = r.read_array<double>(rows_.size() * times_.size());
    });
  }

 private:
  std::string pred_, time_, event_;
  std::vector<double> times_;
  SurvivalRows rows_;            // times and events (risks unused)
  std::vector<double> curves_;   // per row, its survival at each of times_
};
FUSE_METRIC(IntegratedBrier, "fuse.metrics.integrated_brier", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
