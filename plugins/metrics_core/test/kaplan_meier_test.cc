// Kaplan-Meier curves by risk group and the log-rank test, on cases computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

const char* kCfg = R"({"pred": "r", "time": "t", "event": "e", "points": 5})";

// Lower risk half: an event at 2, censored at 4. Higher: events at 1 and 3.
const char* kFour = R"({"r": [0.1, 0.2, 0.8, 0.9], "t": [2.0, 4.0, 1.0, 3.0], "e": [1, 0, 1, 1]})";

TEST(KaplanMeier, CurvesPerRiskHalfOnAFixedGrid) {
  NDict r = compute_metric("fuse.metrics.kaplan_meier", kCfg, sample64(kFour));
  EXPECT_EQ(values<double>(r.get<Tensor>("km_time")), (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_EQ(values<double>(r.get<Tensor>("survival_1")), (std::vector<double>{1, 1, 0.5, 0.5, 0.5}));
  const std::vector<double> high = values<double>(r.get<Tensor>("survival_2"));
  ASSERT_EQ(high.size(), 5u);
  EXPECT_EQ(std::vector<double>(high.begin(), high.begin() + 4), (std::vector<double>{1, 0.5, 0.5, 0}));
  EXPECT_TRUE(std::isnan(high[4]));  // past the group's last time
  // Log-rank: at t 1, 2, 3 the lower half has 0, 1, 0 events against 2/4, 2/3, 1/2 expected; variance
  // 1/4 + 2/9 + 1/4.
  const double chi2 = (1 - (0.5 + 2.0 / 3 + 0.5)) * (1 - (0.5 + 2.0 / 3 + 0.5)) / (0.25 + 2.0 / 9 + 0.25);
  EXPECT_NEAR(r.get<double>("logrank_chi2"), chi2, 1e-12);
  EXPECT_NEAR(r.get<double>("logrank_p"), std::erfc(std::sqrt(chi2 / 2)), 1e-12);
}

// The p-value is the chi-square's with groups - 1 degrees of freedom: exp(-x/2) for 2, exp(-x/2)(1 + x/2) for 4.
TEST(KaplanMeier, PValuesFollowTheChiSquareOfGroupsLessOne) {
  std::string r = "[", t = "[", e = "[";
  for (int i = 0; i < 60; ++i) {
    const int group = i / 20;  // risk order follows the group; the higher, the sooner the event
    r += std::to_string(i) + (i < 59 ? ", " : "]");
    t += std::to_string(30 - 9 * group + (i * 7) % 11) + (i < 59 ? ".0, " : ".0]");
    e += std::string(i % 4 == 0 ? "0" : "1") + (i < 59 ? ", " : "]");
  }
  const std::string rows = R"({"r": )" + r + R"(, "t": )" + t + R"(, "e": )" + e + "}";
  NDict three = compute_metric("fuse.metrics.kaplan_meier", R"({"pred": "r", "time": "t", "event": "e", "groups": 3})", sample64(rows.c_str()));
  const double x3 = three.get<double>("logrank_chi2");
  EXPECT_GT(x3, 20);  // far apart: the continued fraction's side
  EXPECT_NEAR(three.get<double>("logrank_p"), std::exp(-x3 / 2), 1e-12 + 1e-9 * std::exp(-x3 / 2));
  NDict five = compute_metric("fuse.metrics.kaplan_meier", R"({"pred": "r", "time": "t", "event": "e", "groups": 5})", sample64(rows.c_str()));
  const double x5 = five.get<double>("logrank_chi2");
  EXPECT_NEAR(five.get<double>("logrank_p"), std::exp(-x5 / 2) * (1 + x5 / 2), 1e-12);
  EXPECT_TRUE(five.has("survival_5"));
  // Risks unrelated to the times: the curves stay close, p is large.
  NDict none = compute_metric("fuse.metrics.kaplan_meier", R"({"pred": "r", "time": "t", "event": "e"})",
                              sample64(R"({"r": [1, 2, 3, 4, 5, 6], "t": [1.0, 2.0, 3.0, 1.5, 2.5, 3.5], "e": [1, 1, 1, 1, 1, 1]})"));
  EXPECT_GT(none.get<double>("logrank_p"), 0.3);
  EXPECT_LT(none.get<double>("logrank_chi2"), 1);
}

TEST(KaplanMeier, RefusesWhatItCannotUse) {
  const std::string prefix = "metric 'fuse.metrics.kaplan_meier' (plugin 'fuse.metrics_core'): ";
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.kaplan_meier", kCfg, sample64(R"({"r": [[0.1, 0.2]], "t": [1.0], "e": [1]})")); }),
            prefix + "key 'r': expected one risk per row ([n] or [n, 1]), got shape [1, 2]");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.kaplan_meier", kCfg, sample64(R"({"r": [0.1, 0.2], "t": [1.0, -2.0], "e": [1, 0]})")); }),
            prefix + "key 't': row 1 has the negative time -2.000000");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.kaplan_meier", kCfg, sample64(R"({"r": [0.1, 0.2], "t": [1.0, 2.0], "e": [0, 0]})")); }),
            prefix + "the log-rank test needs at least one event (1 in 'e')");
}

}  // namespace
}  // namespace fuse::testing
