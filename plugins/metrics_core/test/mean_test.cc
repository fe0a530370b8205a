#include <cmath>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

TEST(Mean, MeanSpreadAndQuantilesOfPerCaseValues) {
  // Sorted 1, 2, 4, 7, 11: mean 5, squares 16 + 9 + 1 + 4 + 36 = 66 over n - 1 = 4.
  NDict r = compute_metric("fuse.metrics.mean", R"({"pred": "dice"})", sample64(R"({"dice": [7.0, 1.0, 11.0, 2.0, 4.0]})"));
  EXPECT_DOUBLE_EQ(r.get<double>("mean"), 5.0);
  EXPECT_DOUBLE_EQ(r.get<double>("sd"), std::sqrt(66.0 / 4));
  EXPECT_DOUBLE_EQ(r.get<double>("median"), 4.0);
  EXPECT_DOUBLE_EQ(r.get<double>("q1"), 2.0);
  EXPECT_DOUBLE_EQ(r.get<double>("q3"), 7.0);
  EXPECT_DOUBLE_EQ(r.get<double>("min"), 1.0);
  EXPECT_DOUBLE_EQ(r.get<double>("max"), 11.0);
  // Between order statistics (R type 7): four values, the median halfway between 2 and 4, q1 at 1.75.
  r = compute_metric("fuse.metrics.mean", R"({"pred": "dice"})", sample64(R"({"dice": [[4.0], [1.0], [2.0], [8.0]]})"));
  EXPECT_DOUBLE_EQ(r.get<double>("median"), 3.0);
  EXPECT_DOUBLE_EQ(r.get<double>("q1"), 1.75);
  EXPECT_DOUBLE_EQ(r.get<double>("q3"), 5.0);
  r = compute_metric("fuse.metrics.mean", R"({"pred": "dice"})", sample64(R"({"dice": [0.5]})"));
  EXPECT_TRUE(std::isnan(r.get<double>("sd")));  // one case: no spread
}

TEST(Mean, ANonFiniteValueIsNamed) {
  NDict batch;
  batch.set("dice", Tensor::from_vector<double>({0.9, NAN}, {2}));
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.mean", R"({"pred": "dice"})", batch); }),
            "metric 'fuse.metrics.mean' (plugin 'fuse.metrics_core'): key 'dice': row 1 is nan");
}

}  // namespace
}  // namespace fuse::testing
