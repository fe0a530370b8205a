// The Brier score of predicted survival probabilities at a horizon, with inverse-probability-of-censoring
// weights (Graf et al., 1999; scikit-survival's brier_score): a row with its event by the horizon scores
// (0 - S)^2 / G(T-), a row followed past it (1 - S)^2 / G(horizon), a row censored before it 0 (the weights
// of the others make up for it), averaged over all rows. Lower is better; it rewards calibration and
// discrimination together. The skill compares it with the Kaplan-Meier estimate given to everyone.
#include <cmath>

#include "common.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

class SurvivalBrier : public SurvivalMetric<SurvivalBrier> {
 public:
  explicit SurvivalBrier(const DictView& config) : SurvivalMetric(config), horizon_(config.get_double("horizon")) {
    if (!(horizon_ > 0)) fail(FM_ERR_INVALID_ARGUMENT, "'horizon' must be a time > 0, got " + number_text(horizon_));
  }

  void update(const DictView& batch) { add_one_risk_per_row(batch); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(n);
    if (n == 0) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    const std::vector<double> predicted = survival_probabilities(horizon_);
    const Uncensored g = uncensored(rows_, counts, horizon_);
    std::vector<double> w(n);
    for (size_t i = 0; i < n; ++i) w[i] = weight(counts, i);
    const double everyone = kaplan_meier_at(rows_, w, horizon_);  // the prediction without a model
    double total = 0, score = 0, null_score = 0, known = 0;
    for (size_t i = 0; i < n; ++i) {
      total += w[i];
      const double t = rows_.time[i];
      double status, ipcw;  // whether event-free at the horizon, and the row's weight
      if (t <= horizon_ && rows_.event[i]) status = 0, ipcw = 1 / g.before[i];
      else if (t > horizon_) status = 1, ipcw = 1 / g.at;
      else continue;  // censored before the horizon: unknown there
      known += w[i];
      score += w[i] * ipcw * (status - predicted[i]) * (status - predicted[i]);
      null_score += w[i] * ipcw * (status - everyone) * (status - everyone);
    }
    if (known == 0)
      fail(FM_ERR_NUMERIC, "no row has its event by " + number_text(horizon_) + " or is followed past it ('" + time_ + "', '" + event_ + "'): nothing to score");
    result.set_double("brier", score / total);
    result.set_double("brier_null", null_score / total);
    result.set_double("brier_skill", 1 - ratio(score, null_score));
  }

 private:
  double horizon_;
};
FUSE_METRIC(SurvivalBrier, "fuse.metrics.survival_brier", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
