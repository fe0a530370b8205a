// The cumulative/dynamic AUC at a horizon (how well the risk tells who has the event by `horizon` from who is
// still event-free after it), with inverse-probability-of-censoring weights (Uno et al., 2007): cases (an event
// at or before the horizon) weigh 1 / G(T-), G the Kaplan-Meier estimate of staying uncensored, so the rows
// censored before the horizon are made up for; controls (a time after the horizon) weigh alike, which cancels.
// With several `times`, the AUC at each and their mean weighted by the drops of the Kaplan-Meier estimate of no
// event between them (Lambert and Chevret, 2016; scikit-survival's cumulative_dynamic_auc and its mean_auc).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common.h"
#include "survival_estimates.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

class SurvivalAuc : public SurvivalMetric<SurvivalAuc> {
 public:
  explicit SurvivalAuc(const DictView& config) : SurvivalMetric(config), several_(!config.is_unset("times")) {
    if (several_ == !config.is_unset("horizon"))
      fail(FM_ERR_INVALID_ARGUMENT, several_ ? "'horizon' and 'times' exclude each other: the AUC at one time, or at several and their mean"
                                             : "set 'horizon' (the AUC at that time) or 'times' (the AUC at each, and their mean weighted by the "
                                               "Kaplan-Meier estimate's drops)");
    horizons_ = several_ ? config.get_doubles("times") : std::vector<double>{config.get_double("horizon")};
    if (horizons_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'times' is empty; give the times to score at");
    for (size_t k = 0; k < horizons_.size(); ++k) {
      if (!several_ && !(horizons_[k] > 0)) fail(FM_ERR_INVALID_ARGUMENT, "'horizon' must be a time > 0, got " + number_text(horizons_[k]));
      if (several_ && (!(horizons_[k] > 0) || (k > 0 && !(horizons_[k] > horizons_[k - 1]))))
        fail(FM_ERR_INVALID_ARGUMENT, "'times' must be > 0 and increasing; time " + std::to_string(k) + " is " + number_text(horizons_[k]));
    }
  }

  void update(const DictView& batch) { add_one_risk_per_row(batch); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(n);
    const std::vector<uint32_t> by_time = time_order(rows_);
    // G(T-) just before each row's time does not depend on the horizon.
    const std::vector<double> uncensored_before = uncensored(rows_, by_time, counts, horizons_[0]).before;
    std::string why;
    if (!several_) {
      const double auc = auc_at(counts, n, horizons_[0], uncensored_before, why);
      if (!why.empty()) fail(FM_ERR_NUMERIC, why);
      return result.set_double("survival_auc", auc);
    }
    // A time without a case or a control (before the first event, after the last follow-up) is NaN in auc_at
    // and left out of the mean; before the first event its weight is 0 anyway.
    std::vector<double> w(n), aucs;
    for (size_t i = 0; i < n; ++i) w[i] = weight(counts, i);
    double previous = 1, area = 0, total = 0;  // the Kaplan-Meier estimate at the time before; the weighted sums
    for (double h : horizons_) {
      std::string undefined;
      aucs.push_back(auc_at(counts, n, h, uncensored_before, undefined));
      if (!undefined.empty()) {
        if (why.empty()) why = undefined;
        continue;
      }
      const double s = kaplan_meier_at(rows_, by_time, w, h);  // defined: the AUC's controls are followed past h
      area += aucs.back() * (previous - s), total += previous - s;
      previous = s;
    }
    if (!(total > 0)) fail(FM_ERR_NUMERIC, "no time of 'times' has both a case and a control (" + why + ")");
    result.set_double("survival_auc", area / total);
    result.set_tensor("auc_at", vector_tensor(aucs));
    result.set_tensor("auc_time", vector_tensor(horizons_));  // for report.html's chart
  }

 private:
  // The AUC at `horizon`: cases (an event by it) weighted by 1 / G(T-) against controls (a time after it).
  double auc_at(const uint8_t* counts, size_t n, double horizon, const std::vector<double>& uncensored_before, std::string& why) const {
    const std::vector<double>& risk = rows_.risk;
    const std::vector<double>& time = rows_.time;
    const std::vector<uint8_t>& event = rows_.event;
    // Controls' risks, sorted with their weights, so each case counts those below it by binary search.
    std::vector<std::pair<double, double>> controls;  // (risk, weight)
    double case_weight = 0, case_rows = 0;
    for (size_t i = 0; i < n; ++i) {
      const double c = weight(counts, i);
      if (c == 0) continue;
      if (time[i] > horizon) controls.emplace_back(risk[i], c);
      else if (event[i]) case_rows += c;
    }
    std::sort(controls.begin(), controls.end());
    std::vector<double> below(controls.size() + 1, 0.0);  // weight of the first k controls
    for (size_t k = 0; k < controls.size(); ++k) below[k + 1] = below[k] + controls[k].second;
    const double control_weight = below.back();
    const std::string when = number_text(horizon);
    const double undefined = std::numeric_limits<double>::quiet_NaN();
    if (case_rows == 0)
      return why = "the AUC at " + when + " needs a case: an event at or before the horizon ('" + event_ + "' 1, '" + time_ + "' <= " + when + ")", undefined;
    if (control_weight == 0) return why = "the AUC at " + when + " needs a control: a time after the horizon", undefined;
    double concordant = 0;
    for (size_t i = 0; i < n; ++i) {
      const double c = weight(counts, i);
      if (c == 0 || time[i] > horizon || !event[i]) continue;
      if (uncensored_before[i] <= 0) continue;  // no weight can make up for it
      const double w = c / uncensored_before[i];
      const auto lower = std::lower_bound(controls.begin(), controls.end(), std::make_pair(risk[i], -1.0));
      const auto upper = std::upper_bound(controls.begin(), controls.end(), std::make_pair(risk[i], 1e300));
      const double under = below[static_cast<size_t>(lower - controls.begin())], tied = below[static_cast<size_t>(upper - controls.begin())] - under;
      concordant += w * (under + 0.5 * tied);
      case_weight += w;
    }
    if (case_weight == 0) return why = "every case comes after all rows were censored: no weight makes up for them", undefined;
    return concordant / (case_weight * control_weight);
  }

  bool several_;                  // 'times' rather than 'horizon'
  std::vector<double> horizons_;  // the one horizon, or the times
};
FUSE_METRIC(SurvivalAuc, "fuse.metrics.survival_auc", "1.1.0")

}  // namespace
}  // namespace fuse::metrics
