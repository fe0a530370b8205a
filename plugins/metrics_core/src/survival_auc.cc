// The cumulative/dynamic AUC at a horizon (how well the risk tells who has the event by `horizon` from who is
// still event-free after it), with inverse-probability-of-censoring weights (Uno et al., 2007): cases (an event
// at or before the horizon) weigh 1 / G(T-), G the Kaplan-Meier estimate of staying uncensored, so the rows
// censored before the horizon are made up for; controls (a time after the horizon) weigh alike, which cancels.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "common.h"
#include "survival_estimates.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

class SurvivalAuc : public SurvivalMetric<SurvivalAuc> {
 public:
  explicit SurvivalAuc(const DictView& config) : SurvivalMetric(config), horizon_(config.get_double("horizon")) {
    if (!(horizon_ > 0)) fail(FM_ERR_INVALID_ARGUMENT, "'horizon' must be a time > 0, got " + when());
  }

  void update(const DictView& batch) { add_one_risk_per_row(batch); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(n);
    const std::vector<double>& risk = rows_.risk;
    const std::vector<double>& time = rows_.time;
    const std::vector<uint8_t>& event = rows_.event;
    const std::vector<double> uncensored_before = uncensored(rows_, time_order(rows_), counts, horizon_).before;
    // Controls' risks, sorted with their weights, so each case counts those below it by binary search.
    std::vector<std::pair<double, double>> controls;  // (risk, weight)
    double case_weight = 0, case_rows = 0;
    for (size_t i = 0; i < n; ++i) {
      const double c = weight(counts, i);
      if (c == 0) continue;
      if (time[i] > horizon_) controls.emplace_back(risk[i], c);
      else if (event[i]) case_rows += c;
    }
    std::sort(controls.begin(), controls.end());
    std::vector<double> below(controls.size() + 1, 0.0);  // weight of the first k controls
    for (size_t k = 0; k < controls.size(); ++k) below[k + 1] = below[k] + controls[k].second;
    const double control_weight = below.back();
    if (case_rows == 0)
      fail(FM_ERR_NUMERIC, "the AUC at " + when() + " needs a case: an event at or before the horizon ('" + event_ + "' 1, '" + time_ + "' <= " +
                               when() + ")");
    if (control_weight == 0) fail(FM_ERR_NUMERIC, "the AUC at " + when() + " needs a control: a time after the horizon");
    double concordant = 0;
    for (size_t i = 0; i < n; ++i) {
      const double c = weight(counts, i);
      if (c == 0 || time[i] > horizon_ || !event[i]) continue;
      if (uncensored_before[i] <= 0) continue;  // no weight can make up for it
      const double w = c / uncensored_before[i];
      const auto lower = std::lower_bound(controls.begin(), controls.end(), std::make_pair(risk[i], -1.0));
      const auto upper = std::upper_bound(controls.begin(), controls.end(), std::make_pair(risk[i], 1e300));
      const double under = below[static_cast<size_t>(lower - controls.begin())], tied = below[static_cast<size_t>(upper - controls.begin())] - under;
      concordant += w * (under + 0.5 * tied);
      case_weight += w;
    }
    if (case_weight == 0) fail(FM_ERR_NUMERIC, "every case comes after all rows were censored: no weight makes up for them");
    result.set_double("survival_auc", concordant / (case_weight * control_weight));
  }

 private:
  std::string when() const { return number_text(horizon_); }

  double horizon_;
};
FUSE_METRIC(SurvivalAuc, "fuse.metrics.survival_auc", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
