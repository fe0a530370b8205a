// The cumulative/dynamic AUC at a horizon, with censoring weights, on cases computed by hand.
#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kAt2_5 = R"({"pred": "r", "time": "t", "event": "e", "horizon": 2.5})";

TEST(SurvivalAuc, WithoutCensoringItIsTheAucOfEventByTheHorizon) {
  // Cases: the events at 1 and 2; controls: the times 3, 4, 5.
  NDict r = compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [1, 5, 3, 2, 4], "t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [1, 1, 1, 1, 1]})"));
  EXPECT_NEAR(r.get<double>("survival_auc"), 3.0 / 6, 1e-12);  // risk 1 is below every control, risk 5 above all three
  EXPECT_NEAR(metric_value("fuse.metrics.survival_auc", kAt2_5, R"({"r": [5, 4, 3, 2, 1], "t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [1, 1, 1, 1, 1]})", "survival_auc"),
              1.0, 1e-12);
  // A tie between a case and a control counts half.
  EXPECT_NEAR(metric_value("fuse.metrics.survival_auc", kAt2_5, R"({"r": [3, 3], "t": [1.0, 4.0], "e": [1, 0]})", "survival_auc"), 0.5, 1e-12);
}

TEST(SurvivalAuc, CasesAfterACensoringWeighMore) {
  // Censored at 1.5, so the case at 2 weighs 1 / G(2-) = 1 / (3/4); the case at 1 weighs 1. The case at 1 ranks
  // above both controls, the one at 2 below both: (1 * 2 + 4/3 * 0) / ((1 + 4/3) * 2).
  NDict r = compute_metric("fuse.metrics.survival_auc", kAt2_5,
                           sample64(R"({"r": [0.9, 0.1, 0.2, 0.5, 0.3], "t": [1.0, 1.5, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1, 1]})"));
  EXPECT_NEAR(r.get<double>("survival_auc"), 2.0 / (7.0 / 3 * 2), 1e-12);
  // A longer-survival score is turned around.
  EXPECT_NEAR(metric_value("fuse.metrics.survival_auc", R"({"pred": "r", "time": "t", "event": "e", "horizon": 2.5, "higher_is_longer": true})",
                           R"({"r": [-0.9, -0.1, -0.2, -0.5, -0.3], "t": [1.0, 1.5, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1, 1]})", "survival_auc"),
              r.get<double>("survival_auc"), 1e-12);
}

TEST(SurvivalAuc, RefusesWhatItCannotScore) {
  const std::string prefix = "metric 'fuse.metrics.survival_auc' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.survival_auc", json_object(R"({"horizon": 0})")); }),
            prefix + "create failed: 'horizon' must be a time > 0, got 0");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [1, 2], "t": [3.0, 4.0], "e": [1, 1]})")); }),
            prefix + "the AUC at 2.5 needs a case: an event at or before the horizon ('e' 1, 't' <= 2.5)");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [1, 2], "t": [1.0, 2.0], "e": [1, 0]})")); }),
            prefix + "the AUC at 2.5 needs a control: a time after the horizon");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [[1, 2]], "t": [1.0], "e": [1]})")); }),
            prefix + "key 'r': expected one risk per row ([n] or [n, 1]), got shape [1, 2]");
}

}  // namespace
}  // namespace fuse::testing
