// The confusion family on hand-computed cases (tolerance 1e-12).
#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

// predicted [1, 0, 1, 0, 1] at 0.5: TP 2, FP 1, TN 1, FN 1
const char* kBinary = R"({"p": [0.9, 0.2, 0.6, 0.4, 0.7], "y": [1, 0, 0, 1, 1]})";

TEST(Confusion, BinaryAtAThreshold) {
  NDict r = compute_metric("fuse.metrics.confusion", R"({"pred": "p", "target": "y"})", sample64(kBinary));
  EXPECT_EQ(values<int64_t>(r.get<Tensor>("matrix")), (std::vector<int64_t>{1, 1, 1, 2}));  // [[TN, FP], [FN, TP]]
  EXPECT_NEAR(r.get<double>("accuracy"), 0.6, 1e-12);
  EXPECT_NEAR(r.get<double>("sensitivity"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.get<double>("specificity"), 0.5, 1e-12);
  EXPECT_NEAR(r.get<double>("ppv"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.get<double>("npv"), 0.5, 1e-12);
  EXPECT_NEAR(r.get<double>("f1"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.get<double>("balanced_accuracy"), 7.0 / 12, 1e-12);
  EXPECT_NEAR(r.get<double>("mcc"), 1.0 / 6, 1e-12);  // (2*1 - 1*1) / sqrt(3*3*2*2)
  EXPECT_NEAR(r.get<double>("kappa"), (0.6 - 0.52) / 0.48, 1e-12);
  EXPECT_EQ(r.get<int64_t>("tp"), 2);
  EXPECT_EQ(r.get<int64_t>("fn"), 1);
}

TEST(Confusion, ThresholdFromAnotherMetricsResult) {
  NDict s = sample64(kBinary);
  s.set("results.op.threshold", 0.65);  // predicted [1, 0, 0, 0, 1]: TP 2, FP 0, TN 2, FN 1
  Metric m = built_plugins().create_metric("fuse.metrics.confusion",
                                          json_object(R"({"pred": "p", "target": "y", "threshold_key": "results.op.threshold"})"));
  m.update(s);
  NDict r = m.compute();
  EXPECT_NEAR(r.get<double>("accuracy"), 0.8, 1e-12);
  EXPECT_EQ(r.get<double>("threshold"), 0.65);
  // A replicate may bring its own threshold.
  NDict inputs;
  inputs.set("results.op.threshold", 0.3);  // predicted [1, 0, 1, 1, 1]: TP 3, FP 1
  std::vector<uint8_t> ones(5, 1);
  r = m.compute_weighted(&inputs, ones.data(), ones.size());
  EXPECT_NEAR(r.get<double>("accuracy"), 0.8, 1e-12);
  EXPECT_NEAR(r.get<double>("sensitivity"), 1.0, 1e-12);
}

TEST(Confusion, MultiClassFromScores) {
  NDict r = compute_metric("fuse.metrics.confusion", R"({"pred": "p", "target": "y"})",
                           sample64(R"({"p": [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], "y": [0, 1, 1, 2]})"));
  EXPECT_EQ(r.get<Tensor>("matrix").description(), "int64[3, 3]");
  EXPECT_EQ(values<int64_t>(r.get<Tensor>("matrix")), (std::vector<int64_t>{1, 0, 0, 0, 1, 1, 1, 0, 0}));
  EXPECT_NEAR(r.get<double>("accuracy"), 0.5, 1e-12);
  EXPECT_NEAR(r.get<double>("balanced_accuracy"), 0.5, 1e-12);
  EXPECT_NEAR(r.get<double>("kappa"), (0.5 - 5.0 / 16) / (1 - 5.0 / 16), 1e-12);
  EXPECT_NEAR(r.get<double>("mcc"), 0.3, 1e-12);  // (2*4 - 5) / sqrt((16 - 6) (16 - 6))
  EXPECT_FALSE(r.has("sensitivity"));
}

TEST(Confusion, UndefinedRatiosAreNaN) {
  // No positive prediction: PPV is 0/0.
  NDict r = compute_metric("fuse.metrics.confusion", R"({"pred": "p", "target": "y"})", sample64(R"({"p": [0.1, 0.2], "y": [0, 1]})"));
  EXPECT_TRUE(std::isnan(r.get<double>("ppv")));
  EXPECT_NEAR(r.get<double>("accuracy"), 0.5, 1e-12);
}

TEST(Confusion, MultiClassLabelsOutOfRange) {
  EXPECT_EQ(error_of([] {
              compute_metric("fuse.metrics.confusion", R"({"pred": "p", "target": "y"})",
                             sample64(R"({"p": [[0.7, 0.3], [0.1, 0.9]], "y": [0, 2]})"));
            }),
            "metric 'fuse.metrics.confusion' (plugin 'fuse.metrics_core'): key 'y': row 1 has 2.000000; targets must "
            "be integers in [0, 2)");
}

}  // namespace
}  // namespace fuse::testing
