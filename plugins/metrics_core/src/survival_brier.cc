// The Brier score of predicted survival probabilities at a horizon, with inverse-probability-of-censoring
// weights (Graf et al., 1999; scikit-survival's brier_score): a row with its event by the horizon scores
// (0 - S)^2 / G(T-), a row followed past it (1 - S)^2 / G(horizon), a row censored before it 0 (the weights
// of the others make up for it), averaged over all rows. Lower is better; it rewards calibration and
// discrimination together. The skill compares it with the Kaplan-Meier estimate given to everyone.
#include <cmath>

#include "common.h"
#include "survival_estimates.h"
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
    const BrierAt b = brier_at(rows_, time_order(rows_), counts, horizon_, [&](size_t i) { return predicted[i]; });
    if (b.known == 0)
      fail(FM_ERR_NUMERIC, "no row has its event by " + number_text(horizon_) + " or is followed past it ('" + time_ + "', '" + event_ + "'): nothing to score");
    result.set_double("brier", b.brier);
    result.set_double("brier_null", b.null);
    result.set_double("brier_skill", 1 - ratio(b.brier, b.null));
  }

 private:
  double horizon_;
};
FUSE_METRIC(SurvivalBrier, "fuse.metrics.survival_brier", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
