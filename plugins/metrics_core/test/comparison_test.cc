// DeLong and McNemar against the worked examples published with fuse.eval (checked there against R).
#include <cmath>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

TEST(DeLong, PublishedExample) {
  NDict r = compute_metric("fuse.metrics.delong", R"({"pred_a": "a", "pred_b": "b", "target": "y"})", sample64(R"({
    "y": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1],
    "a": [0.1, 0.2, 0.05, 0.3, 0.1, 0.6, 0.6, 0.7, 0.8, 0.99, 0.8, 0.67, 0.5],
    "b": [0.3, 0.6, 0.2, 0.1, 0.1, 0.9, 0.23, 0.7, 0.9, 0.4, 0.77, 0.3, 0.89]})"));
  EXPECT_NEAR(std::abs(r.get<double>("z")), 1.67199, 1e-5);
  EXPECT_NEAR(r.get<double>("p"), 0.094526, 1e-6);
  EXPECT_GT(r.get<double>("auc_a"), r.get<double>("auc_b"));
  EXPECT_NEAR(r.get<double>("auc_diff"), r.get<double>("auc_a") - r.get<double>("auc_b"), 1e-15);
}

TEST(DeLong, IdenticalPredictorsAreNotDifferent) {
  NDict r = compute_metric("fuse.metrics.delong", R"({"pred_a": "a", "pred_b": "a", "target": "y"})",
                           sample64(R"({"y": [0, 0, 1, 1], "a": [0.1, 0.6, 0.4, 0.9]})"));
  EXPECT_EQ(r.get<double>("p"), 1.0);
}

TEST(McNemar, PublishedExample) {
  NDict r = compute_metric("fuse.metrics.mcnemar", R"({"pred_a": "a", "pred_b": "b", "target": "y"})", sample64(R"({
    "y": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
    "a": [0, 1, 1, 1, 0, 1, 1, 0, 1, 1],
    "b": [1, 1, 0, 1, 0, 1, 1, 0, 0, 1]})"));
  EXPECT_EQ(r.get<int64_t>("only_a_correct"), 2);
  EXPECT_EQ(r.get<int64_t>("only_b_correct"), 1);
  EXPECT_NEAR(r.get<double>("p"), 1.0, 1e-12);
}

TEST(McNemar, ExactAndChiSquare) {
  // 10 discordant rows, 9 against 1: exact p = 2 * P(X <= 1 | n=10) = 2 * 11 / 1024
  std::string y = "[", a = "[", b = "[";
  for (int i = 0; i < 10; ++i) {
    y += std::string(i ? ", " : "") + "1";
    a += std::string(i ? ", " : "") + (i < 9 ? "1" : "0");
    b += std::string(i ? ", " : "") + (i < 9 ? "0" : "1");
  }
  NDict s = sample64("{\"y\": " + y + "], \"a\": " + a + "], \"b\": " + b + "]}");
  NDict exact = compute_metric("fuse.metrics.mcnemar", R"({"pred_a": "a", "pred_b": "b", "target": "y"})", s);
  EXPECT_NEAR(exact.get<double>("p"), 22.0 / 1024, 1e-12);
  NDict chi = compute_metric("fuse.metrics.mcnemar", R"({"pred_a": "a", "pred_b": "b", "target": "y", "exact": false})", s);
  EXPECT_NEAR(chi.get<double>("statistic"), 49.0 / 10, 1e-12);  // (|9 - 1| - 1)^2 / 10
  EXPECT_NEAR(chi.get<double>("p"), std::erfc(std::sqrt(4.9 / 2)), 1e-12);
}

}  // namespace
}  // namespace fuse::testing
