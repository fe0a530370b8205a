// The censoring-weighted Brier score of survival probabilities at a horizon, on cases computed by hand.
#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kAt4 = R"({"pred": "s", "time": "t", "event": "e", "horizon": 4})";

// Events at 1 and 3, censored at 2 and 6. Staying uncensored: G = 1 until 2, then 2/3. The row censored at 2
// scores 0; the events (0 - 0.2)^2 / 1 and (0 - 0.6)^2 / (2/3); the row at 6 (1 - 0.9)^2 / (2/3); over 4 rows.
// Without a model, every row gets Kaplan-Meier's 0.375 by 4 (0.75 after 1, half of that after 3).
TEST(SurvivalBrier, CensoringWeightedScoreAndSkill) {
  NDict r = compute_metric("fuse.metrics.survival_brier", kAt4, sample64(R"({"s": [0.9, 0.2, 0.6, 0.5], "t": [6.0, 1.0, 3.0, 2.0], "e": [0, 1, 1, 0]})"));
  const double brier = (0.04 + 0.36 * 1.5 + 0.01 * 1.5) / 4;
  const double null = (0.375 * 0.375 + 0.375 * 0.375 * 1.5 + 0.625 * 0.625 * 1.5) / 4;
  EXPECT_NEAR(r.get<double>("brier"), brier, 1e-12);
  EXPECT_NEAR(r.get<double>("brier_null"), null, 1e-12);
  EXPECT_NEAR(r.get<double>("brier_skill"), 1 - brier / null, 1e-12);
  // The event's probability instead (higher_is_longer false): the same.
  EXPECT_NEAR(metric_value("fuse.metrics.survival_brier", R"({"pred": "s", "time": "t", "event": "e", "horizon": 4, "higher_is_longer": false})",
                           R"({"s": [0.1, 0.8, 0.4, 0.5], "t": [6.0, 1.0, 3.0, 2.0], "e": [0, 1, 1, 0]})", "brier"),
              brier, 1e-12);
  // Without censoring, predictions that are the outcome score 0.
  EXPECT_EQ(metric_value("fuse.metrics.survival_brier", kAt4, R"({"s": [1, 0, 0], "t": [6.0, 1.0, 3.0], "e": [1, 1, 1]})", "brier"), 0.0);
}

TEST(SurvivalBrier, RefusesWhatItCannotScore) {
  const std::string prefix = "metric 'fuse.metrics.survival_brier' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.survival_brier", json_object(R"({"horizon": 0})")); }),
            prefix + "create failed: 'horizon' must be a time > 0, got 0");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_brier", kAt4, sample64(R"({"s": [0.5, 2], "t": [1.0, 6.0], "e": [1, 0]})")); }),
            prefix + "key 's': row 1 holds 2, not a probability (of no event by 4)");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_brier", kAt4, sample64(R"({"s": [0.5, 0.5], "t": [1.0, 3.0], "e": [0, 0]})")); }),
            prefix + "no row has its event by 4 or is followed past it ('t', 'e'): nothing to score");
}

}  // namespace
}  // namespace fuse::testing
