#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kCfg = R"({"pred": "r", "time": "t", "event": "e"})";

TEST(CIndex, HandComputed) {
  // comparable: row 0 (t 1, event) with rows 1 2 3 -> all lower risk: 3 concordant;
  // row 3 (t 2, event) with rows 1 (0.5: discordant) and 2 (0.3: concordant) -> 4 of 5.
  EXPECT_NEAR(metric_value("fuse.metrics.c_index", kCfg,
                           R"({"r": [0.9, 0.5, 0.3, 0.4], "t": [1.0, 3.0, 4.0, 2.0], "e": [1, 0, 1, 1]})", "c_index"),
              0.8, 1e-12);
}

TEST(CIndex, TiesInRiskAndCensoringAtAnEventTime) {
  // Adds row 4: censored at t 2 with risk 0.4, comparable with row 3 (event at t 2, equal risk: 1/2) and row 0.
  NDict r = compute_metric("fuse.metrics.c_index", kCfg,
                           sample64(R"({"r": [0.9, 0.5, 0.3, 0.4, 0.4], "t": [1.0, 3.0, 4.0, 2.0, 2.0], "e": [1, 0, 1, 1, 0]})"));
  EXPECT_NEAR(r.get<double>("c_index"), 5.5 / 7, 1e-12);
  EXPECT_EQ(r.get<double>("comparable_pairs"), 7.0);
  // Two events at the same time are not comparable.
  EXPECT_NEAR(metric_value("fuse.metrics.c_index", kCfg, R"({"r": [0.9, 0.1, 0.5], "t": [1.0, 1.0, 2.0], "e": [1, 1, 0]})", "c_index"),
              0.5, 1e-12);  // row 0 beats row 2 (1), row 1 loses to row 2 (0)
}

TEST(CIndex, NoComparablePair) {
  EXPECT_EQ(error_of([] { metric_value("fuse.metrics.c_index", kCfg, R"({"r": [0.9, 0.1], "t": [1.0, 2.0], "e": [0, 0]})", "c_index"); }),
            "metric 'fuse.metrics.c_index' (plugin 'fuse.metrics_core'): the concordance index needs at least one "
            "comparable pair (an event before another row's time)");
}

TEST(CIndex, AColumnOfAClassifiersOutputIsTheRisk) {
  // The event class's probability in column 1: the risks of HandComputed.
  const char* data = R"({"r": [[0.1, 0.9], [0.5, 0.5], [0.7, 0.3], [0.6, 0.4]], "t": [1.0, 3.0, 4.0, 2.0], "e": [1, 0, 1, 1]})";
  EXPECT_NEAR(metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "column": 1})", data, "c_index"), 0.8, 1e-12);
  EXPECT_NEAR(metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "column": -1})", data, "c_index"), 0.8, 1e-12);
  EXPECT_NEAR(metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "column": 0})", data, "c_index"), 0.2, 1e-12);
}

TEST(CIndex, ExpectedCIndexOfPerBinEventProbabilities) {
  // Expected bins 0, 1, 2, 1.5: row 0 (event at t 1) outlives none of rows 1-3 (3 concordant); row 3 (event at
  // t 2, expected 1.5) against row 1 (expected 1: discordant) and row 2 (2: concordant): 4 of 5.
  EXPECT_NEAR(metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "distribution": true})",
                           R"({"r": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0.5, 0.5]], "t": [1.0, 3.0, 4.0, 2.0], "e": [1, 0, 1, 1]})", "c_index"),
              0.8, 1e-12);
}

TEST(CIndex, ScoresOfTheWrongShapeOrKindAreNamed) {
  const std::string prefix = "metric 'fuse.metrics.c_index' (plugin 'fuse.metrics_core'): ";
  const char* two_columns = R"({"r": [[0.1, 0.9], [0.5, 0.5]], "t": [1.0, 2.0], "e": [1, 1]})";
  EXPECT_EQ(error_of([&] { metric_value("fuse.metrics.c_index", kCfg, two_columns, "c_index"); }),
            prefix + "key 'r': expected one risk per row ([n] or [n, 1]), got shape [2, 2]; set 'column' to score by one column, or "
                     "'distribution' for per-bin event probabilities");
  EXPECT_EQ(error_of([&] { metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "column": 2})", two_columns, "c_index"); }),
            prefix + "'column' 2 is outside the 2 columns of 'r'");
  EXPECT_EQ(error_of([] {
              metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "distribution": true})",
                           R"({"r": [[0.5, 0.5], [0.5, 0.2]], "t": [1.0, 2.0], "e": [1, 1]})", "c_index");
            }),
            prefix + "key 'r': row 1 sums to 0.700000; 'distribution' expects per-bin event probabilities that sum to 1 (a softmax over time bins)");
  EXPECT_EQ(error_of([] {
              metric_value("fuse.metrics.c_index", R"({"pred": "r", "time": "t", "event": "e", "distribution": true})",
                           R"({"r": [0.5, 0.5], "t": [1.0, 2.0], "e": [1, 1]})", "c_index");
            }),
            prefix + "key 'r': 'distribution' needs a row per sample ([n, K]), got shape [2]");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.c_index", R"({"column": 1, "distribution": true})", sample64("{}")); }),
            prefix + "create failed: 'column' and 'distribution' exclude each other: a column is a risk, a distribution gives an expected time");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.c_index", R"({"higher_is_longer": true, "distribution": true})", sample64("{}")); }),
            prefix + "create failed: 'higher_is_longer' does not apply with 'distribution', whose expected time is always longer for longer survival");
}

}  // namespace
}  // namespace fuse::testing
