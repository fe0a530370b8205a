// Calibration of predicted survival probabilities at a horizon, on cases computed by hand.
#include <cmath>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

// Predicted 5-year survival 0.2, 0.3 (both progress before 5: Kaplan-Meier 0) and 0.8, 0.9 (both followed past
// it: 1); the groups are off by 0.25 and 0.15. Over all rows: 0.5 observed (events at 1 and 2 of 4), 0.55
// predicted.
TEST(SurvivalCalibration, GroupsByPredictionAgainstKaplanMeier) {
  NDict r = compute_metric("fuse.metrics.survival_calibration", R"({"pred": "s", "time": "t", "event": "e", "horizon": 5, "groups": 2})",
                           sample64(R"({"s": [0.9, 0.2, 0.8, 0.3], "t": [7.0, 1.0, 6.0, 2.0], "e": [1, 1, 0, 1]})"));
  const std::vector<double> predicted = values<double>(r.get<Tensor>("bin_predicted"));
  ASSERT_EQ(predicted.size(), 2u);
  EXPECT_NEAR(predicted[0], 0.25, 1e-12);
  EXPECT_NEAR(predicted[1], 0.85, 1e-12);
  EXPECT_EQ(values<double>(r.get<Tensor>("bin_observed")), (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(values<double>(r.get<Tensor>("bin_count")), (std::vector<double>{2, 2}));
  EXPECT_NEAR(r.get<double>("calibration_error"), 0.2, 1e-12);
  EXPECT_NEAR(r.get<double>("predicted"), 0.55, 1e-12);
  EXPECT_NEAR(r.get<double>("observed"), 0.5, 1e-12);
  // The event's probability instead (higher_is_longer false): the same.
  r = compute_metric("fuse.metrics.survival_calibration", R"({"pred": "s", "time": "t", "event": "e", "horizon": 5, "groups": 2, "higher_is_longer": false})",
                     sample64(R"({"s": [0.1, 0.8, 0.2, 0.7], "t": [7.0, 1.0, 6.0, 2.0], "e": [1, 1, 0, 1]})"));
  EXPECT_NEAR(r.get<double>("calibration_error"), 0.2, 1e-12);
}

// Censoring: events at 1 and 3, censored at 2 and 6; by 4, Kaplan-Meier gives 0.75 x 0.5 = 0.375, not the 0.5
// of counting rows. A group censored before the horizon has no estimate and is left out of the error.
TEST(SurvivalCalibration, CensoredRowsAndGroupsNotFollowedLongEnough) {
  NDict r = compute_metric("fuse.metrics.survival_calibration", R"({"pred": "s", "time": "t", "event": "e", "horizon": 4, "groups": 2})",
                           sample64(R"({"s": [0.5, 0.5, 0.5, 0.5], "t": [1.0, 2.0, 3.0, 6.0], "e": [1, 0, 1, 0]})"));
  EXPECT_NEAR(r.get<double>("observed"), 0.375, 1e-12);
  r = compute_metric("fuse.metrics.survival_calibration", R"({"pred": "s", "time": "t", "event": "e", "horizon": 5, "groups": 2})",
                     sample64(R"({"s": [0.2, 0.3, 0.6, 0.8], "t": [1.0, 3.0, 6.0, 8.0], "e": [0, 0, 1, 1]})"));
  const std::vector<double> observed = values<double>(r.get<Tensor>("bin_observed"));
  EXPECT_TRUE(std::isnan(observed[0]));
  EXPECT_EQ(observed[1], 1.0);
  EXPECT_NEAR(r.get<double>("calibration_error"), 0.3, 1e-12);  // the second group alone: 1 - 0.7
}

TEST(SurvivalCalibration, RefusesWhatItCannotScore) {
  const std::string prefix = "metric 'fuse.metrics.survival_calibration' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.survival_calibration", json_object(R"({"horizon": -1})")); }),
            prefix + "create failed: 'horizon' must be a time > 0, got -1");
  const char* config = R"({"pred": "s", "time": "t", "event": "e", "horizon": 5, "groups": 2})";
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.survival_calibration", config, sample64(R"({"s": [1.2, 0.5], "t": [3.0, 6.0], "e": [1, 0]})")); }),
            prefix + "key 's': row 0 holds 1.2, not a probability (of no event by 5)");
  EXPECT_EQ(error_of([&] {
              compute_metric("fuse.metrics.survival_calibration", R"({"pred": "s", "time": "t", "event": "e", "horizon": 5, "higher_is_longer": false})",
                             sample64(R"({"s": [-0.1, 0.5], "t": [3.0, 6.0], "e": [1, 0]})"));
            }),
            prefix + "key 's': row 0 holds -0.1, not a probability (of no event by 5; of the event, as higher_is_longer is false)");
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.survival_calibration", config, sample64(R"({"s": [0.2, 0.5], "t": [3.0, 4.0], "e": [0, 0]})")); }),
            prefix + "no group is followed up to 5: every row of each is censored before it ('t'), so none has a Kaplan-Meier estimate there");
}

}  // namespace
}  // namespace fuse::testing
