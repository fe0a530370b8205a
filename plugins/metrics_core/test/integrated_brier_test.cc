// The integrated Brier score of survival curves, on cases computed by hand.
#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kCfg = R"({"pred": "s", "time": "t", "event": "e", "times": [2, 4]})";
// Events at 1 and 3, censored at 2 and 6 (staying uncensored: G = 1 until 2, then 2/3); each row's survival at
// 2 and at 4.
const char* kRows = R"({"s": [[0.95, 0.9], [0.3, 0.2], [0.8, 0.6], [0.7, 0.5]], "t": [6.0, 1.0, 3.0, 2.0], "e": [0, 1, 1, 0]})";

// At 2: the event at 1 scores 0.3^2, the rows at 3 and 6 (0.2^2 and 0.05^2) / (2/3), the censoring at 2 nothing.
// At 4: survival_brier's case. Their mean over [2, 4] by the trapezoid; Kaplan-Meier's 0.75 and 0.375 without
// a model.
TEST(IntegratedBrier, TrapezoidOfTheCensoringWeightedScores) {
  NDict r = compute_metric("fuse.metrics.integrated_brier", kCfg, sample64(kRows));
  const double at2 = (0.09 + 0.04 * 1.5 + 0.0025 * 1.5) / 4, at4 = (0.04 + 0.36 * 1.5 + 0.01 * 1.5) / 4;
  const std::vector<double> brier_at = values<double>(r.get<Tensor>("brier_at"));
  ASSERT_EQ(brier_at.size(), 2u);
  EXPECT_NEAR(brier_at[0], at2, 1e-12);
  EXPECT_NEAR(brier_at[1], at4, 1e-12);
  EXPECT_NEAR(r.get<double>("integrated_brier"), (at2 + at4) / 2, 1e-12);
  const double null2 = (0.75 * 0.75 + 0.25 * 0.25 * 1.5 * 2) / 4, null4 = (0.375 * 0.375 + 0.375 * 0.375 * 1.5 + 0.625 * 0.625 * 1.5) / 4;
  EXPECT_NEAR(r.get<double>("integrated_brier_null"), (null2 + null4) / 2, 1e-12);
  EXPECT_NEAR(r.get<double>("integrated_brier_skill"), 1 - (at2 + at4) / (null2 + null4), 1e-12);
  // Each time's score is survival_brier's there.
  EXPECT_NEAR(metric_value("fuse.metrics.survival_brier", R"({"pred": "s", "time": "t", "event": "e", "horizon": 4})",
                           R"({"s": [0.9, 0.2, 0.6, 0.5], "t": [6.0, 1.0, 3.0, 2.0], "e": [0, 1, 1, 0]})", "brier"),
              at4, 1e-12);
}

TEST(IntegratedBrier, RefusesWhatItCannotScore) {
  const std::string prefix = "metric 'fuse.metrics.integrated_brier' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.integrated_brier", json_object(R"({"times": [5]})")); }),
            prefix + "create failed: 'times' needs at least two times to integrate over, got 1");
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.integrated_brier", json_object(R"({"times": [2, 2]})")); }),
            prefix + "create failed: 'times' must be > 0 and increasing; time 1 is 2");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.integrated_brier", kCfg, sample64(R"({"s": [0.5, 0.5], "t": [1.0, 3.0], "e": [1, 0]})")); }),
            prefix + "key 's': expected each row's survival at the 2 'times' ([n, 2]; fuse.ops.time_bins' 'survival_times'), got shape [2]");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.integrated_brier", kCfg, sample64(R"({"s": [[0.5, 1.5]], "t": [1.0], "e": [1]})")); }),
            prefix + "key 's': row 0 holds 1.5 at time 4, not a probability of no event");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.integrated_brier", kCfg, sample64(R"({"s": [[0.5, 0.5]], "t": [1.0], "e": [0]})")); }),
            prefix + "no row has its event by a time of 'times' or is followed past one: nothing to score");
}

}  // namespace
}  // namespace fuse::testing
