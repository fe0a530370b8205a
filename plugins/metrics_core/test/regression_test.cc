#include <cmath>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

TEST(Regression, HandComputed) {
  // errors [0, -1, 1, -1]; target mean 2.75, total sum of squares 8.75
  NDict r = compute_metric("fuse.metrics.regression", R"({"pred": "p", "target": "t"})",
                           sample64(R"({"p": [1.0, 2.0, 3.0, 4.0], "t": [1.0, 3.0, 2.0, 5.0]})"));
  EXPECT_NEAR(r.get<double>("mae"), 0.75, 1e-12);
  EXPECT_NEAR(r.get<double>("mse"), 0.75, 1e-12);
  EXPECT_NEAR(r.get<double>("rmse"), std::sqrt(0.75), 1e-12);
  EXPECT_NEAR(r.get<double>("r2"), 1 - 3.0 / 8.75, 1e-12);
  EXPECT_NEAR(r.get<double>("pearson"), 5.5 / std::sqrt(5 * 8.75), 1e-12);
  EXPECT_NEAR(r.get<double>("spearman"), 0.8, 1e-12);  // ranks [1 2 3 4] vs [1 3 2 4]
}

TEST(Regression, SpearmanAveragesTiedRanks) {
  // target ranks [1, 2.5, 2.5, 4]
  NDict r = compute_metric("fuse.metrics.regression", R"({"pred": "p", "target": "t"})",
                           sample64(R"({"p": [1.0, 2.0, 3.0, 4.0], "t": [1.0, 2.0, 2.0, 3.0]})"));
  // Pearson of [1,2,3,4] and [1,2.5,2.5,4]: sxy = 4.5, sxx = 5, syy = 4.5
  EXPECT_NEAR(r.get<double>("spearman"), 4.5 / std::sqrt(5 * 4.5), 1e-12);
}

// Observed against predicted: rows sorted by prediction, in bins of equal size (quantiles).
TEST(Regression, BinsGiveTheObservedMeanPerBinOfPredictions) {
  NDict r = compute_metric("fuse.metrics.regression", R"({"pred": "p", "target": "t", "bins": 3})",
                           sample64(R"({"p": [6.0, 1.0, 5.0, 2.0, 4.0, 3.0], "t": [7.0, 0.0, 4.0, 3.0, 5.0, 2.0]})"));
  EXPECT_EQ(values<double>(r.get<Tensor>("bin_predicted")), (std::vector<double>{1.5, 3.5, 5.5}));
  EXPECT_EQ(values<double>(r.get<Tensor>("bin_observed")), (std::vector<double>{1.5, 3.5, 5.5}));
  EXPECT_EQ(values<double>(r.get<Tensor>("bin_count")), (std::vector<double>{2, 2, 2}));
  // More bins than rows: the empty ones are NaN.
  r = compute_metric("fuse.metrics.regression", R"({"pred": "p", "target": "t", "bins": 4})", sample64(R"({"p": [2.0, 1.0], "t": [3.0, 1.0]})"));
  const std::vector<double> observed = values<double>(r.get<Tensor>("bin_observed"));
  ASSERT_EQ(observed.size(), 4u);
  EXPECT_TRUE(std::isnan(observed[0]));
  EXPECT_EQ(observed[1], 1.0);
  EXPECT_TRUE(std::isnan(observed[2]));
  EXPECT_EQ(observed[3], 3.0);
  EXPECT_FALSE(compute_metric("fuse.metrics.regression", R"({"pred": "p", "target": "t"})", sample64(R"({"p": [2.0, 1.0], "t": [3.0, 1.0]})"))
                   .has("bin_observed"));  // none unless asked for
}

TEST(Regression, ConstantTargetHasNoR2) {
  NDict r = compute_metric("fuse.metrics.regression", R"({"pred": "p", "target": "t"})",
                           sample64(R"({"p": [1.0, 2.0], "t": [3.0, 3.0]})"));
  EXPECT_TRUE(std::isnan(r.get<double>("r2")));
  EXPECT_TRUE(std::isnan(r.get<double>("pearson")));
  EXPECT_NEAR(r.get<double>("mae"), 1.5, 1e-12);
}

}  // namespace
}  // namespace fuse::testing
