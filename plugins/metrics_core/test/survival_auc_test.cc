// The cumulative/dynamic AUC at a horizon, with censoring weights, on cases computed by hand.
#include <cmath>

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

// At several times: the AUC at each, and their mean weighted by the Kaplan-Meier estimate's drops. Without
// censoring, S(2.5) = 3/5 and S(3.5) = 2/5; at 2.5 the cases (risks 5, 4) rank above every control (1, 2, 3),
// at 3.5 the cases 5, 4 and 1 above 4 of the 6 pairs with the controls 2 and 3.
TEST(SurvivalAuc, AtSeveralTimesWithTheirWeightedMean) {
  NDict r = compute_metric("fuse.metrics.survival_auc", R"({"pred": "r", "time": "t", "event": "e", "times": [2.5, 3.5]})",
                           sample64(R"({"r": [5, 4, 1, 2, 3], "t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [1, 1, 1, 1, 1]})"));
  const std::vector<double> at = values<double>(r.get<Tensor>("auc_at"));
  ASSERT_EQ(at.size(), 2u);
  EXPECT_NEAR(at[0], 1.0, 1e-12);
  EXPECT_NEAR(at[1], 4.0 / 6, 1e-12);
  EXPECT_NEAR(r.get<double>("survival_auc"), (1.0 * (1 - 0.6) + 4.0 / 6 * (0.6 - 0.4)) / (1 - 0.4), 1e-12);
  // A time before the first event (no case) or after the last follow-up (no control) is NaN and left out of the
  // mean: before the first event its weight is 0 anyway.
  r = compute_metric("fuse.metrics.survival_auc", R"({"pred": "r", "time": "t", "event": "e", "times": [0.5, 2.5, 3.5, 6]})",
                     sample64(R"({"r": [5, 4, 1, 2, 3], "t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [1, 1, 1, 1, 1]})"));
  const std::vector<double> with_gaps = values<double>(r.get<Tensor>("auc_at"));
  ASSERT_EQ(with_gaps.size(), 4u);
  EXPECT_TRUE(std::isnan(with_gaps[0]));
  EXPECT_TRUE(std::isnan(with_gaps[3]));
  EXPECT_NEAR(r.get<double>("survival_auc"), (1.0 * (1 - 0.6) + 4.0 / 6 * (0.6 - 0.4)) / (1 - 0.4), 1e-12);
  // One time gives that time's AUC.
  EXPECT_NEAR(metric_value("fuse.metrics.survival_auc", R"({"pred": "r", "time": "t", "event": "e", "times": [3.5]})",
                           R"({"r": [5, 4, 1, 2, 3], "t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [1, 1, 1, 1, 1]})", "survival_auc"),
              4.0 / 6, 1e-12);
}

TEST(SurvivalAuc, RefusesWhatItCannotScore) {
  const std::string prefix = "metric 'fuse.metrics.survival_auc' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.survival_auc", json_object(R"({"horizon": 0})")); }),
            prefix + "create failed: 'horizon' must be a time > 0, got 0");
  const auto create_error = [](const char* config) { return error_of([&] { built_plugins().create_metric("fuse.metrics.survival_auc", json_object(config)); }); };
  EXPECT_EQ(create_error(R"({"horizon": 1, "times": [1, 2]})"),
            prefix + "create failed: 'horizon' and 'times' exclude each other: the AUC at one time, or at several and their mean");
  EXPECT_EQ(create_error("{}"), prefix + "create failed: set 'horizon' (the AUC at that time) or 'times' (the AUC at each, and their mean weighted by the "
                                         "Kaplan-Meier estimate's drops)");
  EXPECT_EQ(create_error(R"({"times": [2, 1]})"), prefix + "create failed: 'times' must be > 0 and increasing; time 1 is 1");
  EXPECT_EQ(create_error(R"({"times": []})"), prefix + "create failed: 'times' is empty; give the times to score at");
  EXPECT_EQ(error_of([] {
              compute_metric("fuse.metrics.survival_auc", R"({"pred": "r", "time": "t", "event": "e", "times": [0.5, 4.5]})",
                             sample64(R"({"r": [1, 2, 3], "t": [1.0, 3.0, 4.0], "e": [1, 1, 1]})"));
            }),
            prefix + "no time of 'times' has both a case and a control (the AUC at 0.5 needs a case: an event at or before the horizon ('e' 1, 't' <= 0.5))");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [1, 2], "t": [3.0, 4.0], "e": [1, 1]})")); }),
            prefix + "the AUC at 2.5 needs a case: an event at or before the horizon ('e' 1, 't' <= 2.5)");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [1, 2], "t": [1.0, 2.0], "e": [1, 0]})")); }),
            prefix + "the AUC at 2.5 needs a control: a time after the horizon");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.survival_auc", kAt2_5, sample64(R"({"r": [[1, 2]], "t": [1.0], "e": [1]})")); }),
            prefix + "key 'r': expected one risk per row ([n] or [n, 1]), got shape [1, 2]");
}

}  // namespace
}  // namespace fuse::testing
