// AUC, ROC and PR curves, average precision and operating points on hand-computed cases. Tolerance 1e-12
// (exact arithmetic on small counts).
#include <gtest/gtest.h>

#include <cmath>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kPY = R"({"pred": "p", "target": "y"})";
// scikit-learn's documentation example: AUC 0.75, average precision 0.8333.
const char* kSk = R"({"p": [0.1, 0.4, 0.35, 0.8], "y": [0, 0, 1, 1]})";

double auc(const std::string& batch) { return metric_value("fuse.metrics.auc", kPY, batch, "auc"); }

TEST(Auc, HandComputedCases) {
  EXPECT_NEAR(auc(kSk), 0.75, 1e-12);
  EXPECT_NEAR(auc(R"({"p": [0.1, 0.2, 0.8, 0.9], "y": [0, 0, 1, 1]})"), 1.0, 1e-12);  // perfect
  EXPECT_NEAR(auc(R"({"p": [0.9, 0.8, 0.2, 0.1], "y": [0, 0, 1, 1]})"), 0.0, 1e-12);  // inverted
  EXPECT_NEAR(auc(R"({"p": [0.5, 0.5, 0.5, 0.5], "y": [0, 1, 0, 1]})"), 0.5, 1e-12);  // all tied
  // pairs (pos, neg): (0.5, 0.2) 1, (0.5, 0.5) 1/2, (0.9, 0.2) 1, (0.9, 0.5) 1 -> 3.5 / 4
  EXPECT_NEAR(auc(R"({"p": [0.2, 0.5, 0.5, 0.9], "y": [0, 0, 1, 1]})"), 0.875, 1e-12);
  // integer scores and float labels work too
  EXPECT_NEAR(auc(R"({"p": [1, 3, 2, 4], "y": [0.0, 1.0, 0.0, 1.0]})"), 1.0, 1e-12);
}

TEST(Auc, SingleClassIsAClearError) {
  EXPECT_EQ(error_of([] { auc(R"({"p": [0.1, 0.2, 0.3], "y": [1, 1, 1]})"); }),
            "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): AUC needs both classes, but the data has no "
            "negative (0) targets among 3 rows");
}

TEST(Auc, LabelsOutsideZeroOneAreRefused) {
  EXPECT_EQ(error_of([] { auc(R"({"p": [0.1, 0.2, 0.3], "y": [0, 2, 1]})"); }),
            "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): key 'y': value 2 at index 1 is not allowed "
            "(allowed: 0, 1)");
  EXPECT_EQ(error_of([] { auc(R"({"p": [0.1, 0.2], "y": [0, 0.5]})"); }),
            "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): key 'y': row 1 has 0.500000; a binary metric "
            "needs targets 0 or 1 (use one_vs_all for several classes)");
}

TEST(Auc, NonFiniteScoresNameTheRow) {
  NDict s = sample64(R"({"y": [0, 1, 1]})");
  s.set("p", Tensor::from_vector<double>({0.1, std::nan(""), 0.3}, {3}));
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.auc", kPY, s); }),
            "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): key 'p': row 1 is nan");
}

TEST(Auc, BinnedHistogramIsExactUpToTiesWithinABin) {
  // With scores on a 0.1 grid and 10 bins, nothing ties that did not tie before: the same AUC.
  const std::string batch = R"({"p": [0.05, 0.15, 0.35, 0.85, 0.35, 0.95], "y": [0, 0, 1, 1, 0, 1]})";
  const double exact = auc(batch);
  EXPECT_NEAR(metric_value("fuse.metrics.auc", R"({"pred": "p", "target": "y", "bins": 10})", batch, "auc"), exact, 1e-12);
  // One bin: every pair ties, 0.5.
  EXPECT_NEAR(metric_value("fuse.metrics.auc", R"({"pred": "p", "target": "y", "bins": 1})", batch, "auc"), 0.5, 1e-12);
  // Scores outside the range go to the end bins.
  EXPECT_NEAR(metric_value("fuse.metrics.auc", R"({"pred": "p", "target": "y", "bins": 2, "range": [0, 0.5]})",
                           R"({"p": [-1.0, 0.1, 0.7, 2.0], "y": [0, 0, 1, 1]})", "auc"),
              1.0, 1e-12);
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.auc", json_object(R"({"range": [1, 0]})")); }),
            "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): create failed: 'range' must be [low, high] with low < high");
}

// Several labels at once ('average'). Two labels: column 0 ranks 3 of 4 pairs right (0.75), column 1 all (1.0);
// pooled, 12 of the 16 positive-negative cell pairs.
const char* kTwoLabels = R"({"p": [[0.9, 0.2], [0.8, 0.6], [0.3, 0.7], [0.1, 0.4]], "y": [[1, 0], [0, 1], [1, 1], [0, 0]]})";

TEST(Auc, MacroAndMicroAveragesOfSeveralLabels) {
  NDict r = compute_metric("fuse.metrics.auc", R"({"pred": "p", "target": "y", "average": "macro"})", sample64(kTwoLabels));
  EXPECT_NEAR(r.get<double>("auc"), 0.875, 1e-12);
  EXPECT_EQ(values<double>(r.get<Tensor>("auc_per_label")), (std::vector<double>{0.75, 1.0}));
  EXPECT_NEAR(metric_value("fuse.metrics.auc", R"({"pred": "p", "target": "y", "average": "micro"})", kTwoLabels, "auc"), 0.75, 1e-12);
  // Column 0's average precision: 1 at recall 0.5, 2/3 at recall 1; column 1's: 1.
  EXPECT_NEAR(metric_value("fuse.metrics.average_precision", R"({"pred": "p", "target": "y", "average": "macro"})", kTwoLabels,
                           "average_precision"),
              (0.5 + 0.5 * 2.0 / 3.0 + 1.0) / 2, 1e-12);
}

TEST(Auc, MacroOfOneHotClassesIsEachClassAgainstTheRest) {
  // Class 0 against the rest: 3.5 of 4 pairs (a tie at 0.3); class 1: 1; class 2: 2 of 3.
  NDict r = compute_metric("fuse.metrics.auc", R"({"pred": "p", "target": "y", "average": "macro"})",
                           sample64(R"({"p": [[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5], [0.3, 0.1, 0.6]],
                                        "y": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]})"));
  EXPECT_EQ(values<double>(r.get<Tensor>("auc_per_label")), (std::vector<double>{0.875, 1.0, 2.0 / 3.0}));
  EXPECT_NEAR(r.get<double>("auc"), (0.875 + 1.0 + 2.0 / 3.0) / 3, 1e-12);
}

TEST(Auc, SeveralLabelsRefuseBadShapesAndValues) {
  const std::string prefix = "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): ";
  const std::string macro = R"({"pred": "p", "target": "y", "average": "macro"})";
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.auc", macro, sample64(kSk)); }),
            prefix + "key 'p': 'average': 'macro' needs scores [n, labels], got shape [4]");
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.auc", macro, sample64(R"({"p": [[0.1, 0.9], [0.8, 0.2]], "y": [0, 1]})")); }),
            prefix + "key 'y': expected 0/1 targets [2, 2] for the scores of 'p', got shape [2] (for class ids, their one-hot: "
                     "fuse.ops.one_hot)");
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.auc", macro, sample64(R"({"p": [[0.1, 0.9], [0.8, 0.2]], "y": [[0, 1], [0.5, 0]]})")); }),
            prefix + "key 'y': row 1, column 0 has 0.500000; multi-label targets are 0 or 1");
  // A label without positives leaves the macro average undefined, and says which.
  EXPECT_EQ(error_of([&] {
              compute_metric("fuse.metrics.auc", macro, sample64(R"({"p": [[0.1, 0.9], [0.8, 0.2]], "y": [[0, 0], [1, 0]]})"));
            }),
            prefix + "score column 1 of 2: AUC needs both classes, but the data has no positive (1) targets among 2 rows (a macro "
                     "average needs every column defined, unless 'undefined': 'skip')");
  Metric m = built_plugins().create_metric("fuse.metrics.auc", json_object(macro));
  m.update(sample64(kTwoLabels));
  EXPECT_EQ(error_of([&] { m.update(sample64(R"({"p": [[0.1, 0.9, 0.5]], "y": [[0, 1, 1]]})")); }),
            prefix + "key 'p': this batch has 3 score columns, earlier batches 2");
  EXPECT_EQ(error_of([] {
              built_plugins().create_metric("fuse.metrics.auc", json_object(R"({"bins": 10, "average": "micro"})"));
            }),
            prefix + "create failed: 'bins' keeps one histogram of one score per row, so it needs 'average': 'none'");
}

// A rare label without positives in a validation fold: 'skip' averages the labels that can be scored.
TEST(Auc, MacroSkipsUndefinedColumnsWhenAsked) {
  const char* third_without_positives =
      R"({"p": [[0.9, 0.2, 0.1], [0.8, 0.6, 0.5], [0.3, 0.7, 0.2], [0.1, 0.4, 0.3]], "y": [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]]})";
  NDict r = compute_metric("fuse.metrics.auc", R"({"pred": "p", "target": "y", "average": "macro", "undefined": "skip"})",
                           sample64(third_without_positives));
  EXPECT_NEAR(r.get<double>("auc"), 0.875, 1e-12);
  const std::vector<double> each = values<double>(r.get<Tensor>("auc_per_label"));
  ASSERT_EQ(each.size(), 3u);
  EXPECT_EQ(each[0], 0.75);
  EXPECT_EQ(each[1], 1.0);
  EXPECT_TRUE(std::isnan(each[2]));
  EXPECT_EQ(r.get<int64_t>("labels_scored"), 2);
  r = compute_metric("fuse.metrics.average_precision", R"({"pred": "p", "target": "y", "average": "macro", "undefined": "skip"})",
                     sample64(third_without_positives));
  EXPECT_NEAR(r.get<double>("average_precision"), (0.5 + 0.5 * 2.0 / 3.0 + 1.0) / 2, 1e-12);
  EXPECT_EQ(r.get<int64_t>("labels_scored"), 2);

  const std::string prefix = "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([&] {
              compute_metric("fuse.metrics.auc", R"({"pred": "p", "target": "y", "average": "macro", "undefined": "skip"})",
                             sample64(R"({"p": [[0.1, 0.9], [0.8, 0.2]], "y": [[0, 1], [0, 1]]})"));
            }),
            prefix + "no score column is defined, so the macro average is not; score column 0 of 2: AUC needs both classes, but "
                     "the data has no positive (1) targets among 2 rows");
  EXPECT_EQ(error_of([] {
              built_plugins().create_metric("fuse.metrics.auc", json_object(R"({"average": "micro", "undefined": "skip"})"));
            }),
            prefix + "create failed: 'undefined': 'skip' leaves columns out of a macro average, so it needs 'average': 'macro' (got "
                     "'micro')");
}

TEST(RocCurve, GridAndVertices) {
  NDict r = compute_metric("fuse.metrics.roc_curve", R"({"pred": "p", "target": "y", "points": 5})", sample64(kSk));
  // vertices (0,0) (0,.5) (.5,.5) (.5,1) (1,1)
  EXPECT_EQ(values<double>(r.get<Tensor>("fpr")), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(values<double>(r.get<Tensor>("tpr")), (std::vector<double>{0.5, 0.5, 1, 1, 1}));
  EXPECT_NEAR(r.get<double>("auc"), 0.75, 1e-12);
  // a tie between a positive and a negative makes a diagonal segment
  r = compute_metric("fuse.metrics.roc_curve", R"({"pred": "p", "target": "y", "points": 3})",
                     sample64(R"({"p": [0.5, 0.5], "y": [0, 1]})"));
  EXPECT_EQ(values<double>(r.get<Tensor>("tpr")), (std::vector<double>{0, 0.5, 1}));
}

TEST(AveragePrecision, StepwiseWithoutInterpolation) {
  EXPECT_NEAR(metric_value("fuse.metrics.average_precision", kPY, kSk, "average_precision"), 0.5 + 0.5 * 2.0 / 3.0, 1e-12);
  NDict r = compute_metric("fuse.metrics.pr_curve", R"({"pred": "p", "target": "y", "points": 3})", sample64(kSk));
  EXPECT_EQ(values<double>(r.get<Tensor>("recall")), (std::vector<double>{0, 0.5, 1}));
  std::vector<double> precision = values<double>(r.get<Tensor>("precision"));
  EXPECT_NEAR(precision[0], 1.0, 1e-12);
  EXPECT_NEAR(precision[1], 1.0, 1e-12);
  EXPECT_NEAR(precision[2], 2.0 / 3.0, 1e-12);
}

TEST(OperatingPoint, SensitivityAndSpecificityTargets) {
  NDict r = compute_metric("fuse.metrics.operating_point", R"({"pred": "p", "target": "y", "min_sensitivity": 0.9})", sample64(kSk));
  EXPECT_EQ(r.get<double>("threshold"), 0.35);
  EXPECT_EQ(r.get<double>("sensitivity"), 1.0);
  EXPECT_EQ(r.get<double>("specificity"), 0.5);
  r = compute_metric("fuse.metrics.operating_point", R"({"pred": "p", "target": "y", "min_specificity": 0.9})", sample64(kSk));
  EXPECT_EQ(r.get<double>("threshold"), 0.8);
  EXPECT_EQ(r.get<double>("sensitivity"), 0.5);
  EXPECT_EQ(r.get<double>("specificity"), 1.0);
  EXPECT_EQ(error_of([] { built_plugins().create_metric("fuse.metrics.operating_point", json_object("{}")); }),
            "metric 'fuse.metrics.operating_point' (plugin 'fuse.metrics_core'): create failed: set exactly one of "
            "'min_sensitivity' and 'min_specificity'");
}

}  // namespace
}  // namespace fuse::testing
