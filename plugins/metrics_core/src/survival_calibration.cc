// Calibration of predicted survival probabilities at a horizon: the rows in groups of equal size by their
// predicted probability of no event by `horizon` (fuse.ops.time_bins' "survival_at"), and per group the mean
// prediction against the Kaplan-Meier estimate of the same probability, which takes censoring into account (a
// survival model's reliability diagram; the grouped calibration of D'Agostino and Nam). A model can rank
// patients well (C-index) and still promise them too much; this shows by how much.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "common.h"
#include "survival_estimates.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

class SurvivalCalibration : public SurvivalMetric<SurvivalCalibration> {
 public:
  explicit SurvivalCalibration(const DictView& config)
      : SurvivalMetric(config), horizon_(config.get_double("horizon")), groups_(static_cast<size_t>(config.get_int("groups"))) {
    if (!(horizon_ > 0)) fail(FM_ERR_INVALID_ARGUMENT, "'horizon' must be a time > 0, got " + when());
  }

  void update(const DictView& batch) { add_one_risk_per_row(batch); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(n);
    if (n == 0) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    const std::vector<double> predicted = survival_probabilities(horizon_);
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return predicted[a] < predicted[b]; });
    std::vector<std::vector<double>> in_group = equal_groups(order, counts, groups_);
    std::vector<double> everyone(n);
    for (size_t i = 0; i < n; ++i) everyone[i] = weight(counts, i);
    in_group.push_back(everyone);  // the last entry: all rows together

    const std::vector<uint32_t> by_time = time_order(rows_);  // one sort for every group
    std::vector<double> mean(in_group.size()), observed(in_group.size()), size(in_group.size());
    for (size_t g = 0; g < in_group.size(); ++g) {
      double sum = 0;
      for (size_t i = 0; i < n; ++i) size[g] += in_group[g][i], sum += in_group[g][i] * predicted[i];
      mean[g] = size[g] > 0 ? sum / size[g] : kNaN;
      observed[g] = kaplan_meier_at(rows_, by_time, in_group[g], horizon_);
    }
    double error = 0, followed = 0;
    for (size_t g = 0; g < groups_; ++g)
      if (std::isfinite(observed[g]) && std::isfinite(mean[g])) error += size[g] * std::abs(observed[g] - mean[g]), followed += size[g];
    if (followed == 0)
      fail(FM_ERR_NUMERIC, "no group is followed up to " + when() + ": every row of each is censored before it ('" + time_ + "'), so none has a Kaplan-Meier "
                           "estimate there");
    const auto groups_only = [&](const std::vector<double>& v) { return vector_tensor(std::vector<double>(v.begin(), v.end() - 1)); };
    result.set_tensor("bin_predicted", groups_only(mean));
    result.set_tensor("bin_observed", groups_only(observed));
    result.set_tensor("bin_count", groups_only(size));
    result.set_double("calibration_error", error / followed);
    result.set_double("predicted", mean.back());
    result.set_double("observed", observed.back());
  }

 private:
  std::string when() const { return number_text(horizon_); }

  double horizon_;
  size_t groups_;
};
FUSE_METRIC(SurvivalCalibration, "fuse.metrics.survival_calibration", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
