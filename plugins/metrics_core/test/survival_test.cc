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

}  // namespace
}  // namespace fuse::testing
