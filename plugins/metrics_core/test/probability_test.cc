// Brier, log loss, calibration and temperature on hand-computed cases.
#include <cmath>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kPY = R"({"pred": "p", "target": "y"})";

TEST(Brier, ScoreAndSkill) {
  NDict r = compute_metric("fuse.metrics.brier", kPY, sample64(R"({"p": [0.9, 0.2, 0.6], "y": [1, 0, 1]})"));
  EXPECT_NEAR(r.get<double>("brier"), (0.01 + 0.04 + 0.16) / 3, 1e-12);
  EXPECT_NEAR(r.get<double>("brier_skill"), 1 - 0.07 / (2.0 / 9), 1e-12);  // reference p(1-p) with p = 2/3
  // several classes: sum over classes
  r = compute_metric("fuse.metrics.brier", kPY, sample64(R"({"p": [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], "y": [0, 2]})"));
  EXPECT_NEAR(r.get<double>("brier"), ((0.09 + 0.04 + 0.01) + (0.01 + 0.64 + 0.81)) / 2, 1e-12);
}

TEST(LogLoss, BinaryAndMultiClass) {
  EXPECT_NEAR(metric_value("fuse.metrics.log_loss", kPY, R"({"p": [0.9, 0.2, 0.6], "y": [1, 0, 1]})", "log_loss"),
              -(std::log(0.9) + std::log(0.8) + std::log(0.6)) / 3, 1e-12);
  EXPECT_NEAR(metric_value("fuse.metrics.log_loss", kPY, R"({"p": [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], "y": [0, 1]})", "log_loss"),
              -(std::log(0.7) + std::log(0.8)) / 2, 1e-12);
  // 0 probability of the true class is clipped, not infinite
  EXPECT_NEAR(metric_value("fuse.metrics.log_loss", kPY, R"({"p": [0.0], "y": [1]})", "log_loss"), -std::log(1e-15), 1e-9);
}

TEST(Probability, OutOfRangeIsAnError) {
  EXPECT_EQ(error_of([] { metric_value("fuse.metrics.brier", kPY, R"({"p": [0.5, 1.5], "y": [1, 0]})", "brier"); }),
            "metric 'fuse.metrics.brier' (plugin 'fuse.metrics_core'): key 'p': row 1 has 1.500000, not a probability "
            "in [0, 1]");
}

TEST(Calibration, ComparesWithTheMeanConfidenceOfEachBin) {
  // bin [0, 0.5): 0.1, 0.15 -> confidence 0.125, accuracy 0.5; bin [0.5, 1]: 0.8, 0.85, 0.9 -> 0.85 vs 2/3.
  // (Comparing with the bin's upper edge, as fuse.eval does, would give 0 for the first bin.)
  NDict r = compute_metric("fuse.metrics.calibration", R"({"pred": "p", "target": "y", "bins": 2})",
                           sample64(R"({"p": [0.1, 0.15, 0.8, 0.85, 0.9], "y": [0, 1, 1, 1, 0]})"));
  EXPECT_NEAR(r.get<double>("ece"), 2.0 / 5 * 0.375 + 3.0 / 5 * (0.85 - 2.0 / 3), 1e-12);
  EXPECT_NEAR(r.get<double>("mce"), 0.375, 1e-12);
  std::vector<double> conf = values<double>(r.get<Tensor>("bin_confidence"));
  EXPECT_NEAR(conf[0], 0.125, 1e-12);
  EXPECT_NEAR(conf[1], 0.85, 1e-12);
  EXPECT_EQ(values<double>(r.get<Tensor>("bin_count")), (std::vector<double>{2, 3}));
}

TEST(Calibration, EmptyBinsAreNaNAndIgnored) {
  NDict r = compute_metric("fuse.metrics.calibration", R"({"pred": "p", "target": "y", "bins": 4})",
                           sample64(R"({"p": [0.9, 0.95], "y": [1, 1]})"));
  std::vector<double> acc = values<double>(r.get<Tensor>("bin_accuracy"));
  EXPECT_TRUE(std::isnan(acc[0]));
  EXPECT_NEAR(r.get<double>("ece"), 1 - 0.925, 1e-12);
}

TEST(Temperature, RecoversTheOptimumOfAKnownCase) {
  // Every row has logit 2 and 3 of 4 are positive: the best temperature makes sigmoid(2 / T) = 3/4,
  // T = 2 / ln 3.
  const double p = 1 / (1 + std::exp(-2.0));
  NDict s;
  s.set("p", Tensor::from_vector<double>({p, p, p, p}, {4}));
  s.set("y", Tensor::from_vector<int64_t>({1, 1, 1, 0}, {4}));
  NDict r = compute_metric("fuse.metrics.temperature", kPY, s);
  EXPECT_NEAR(r.get<double>("temperature"), 2 / std::log(3.0), 1e-6);
  EXPECT_LT(r.get<double>("nll_after"), r.get<double>("nll_before"));
  // the same from logits
  NDict l;
  l.set("p", Tensor::from_vector<double>({2, 2, 2, 2}, {4}));
  l.set("y", Tensor::from_vector<int64_t>({1, 1, 1, 0}, {4}));
  EXPECT_NEAR(compute_metric("fuse.metrics.temperature", R"({"pred": "p", "target": "y", "input": "logit"})", l).get<double>("temperature"),
              2 / std::log(3.0), 1e-6);
}

}  // namespace
}  // namespace fuse::testing
