#include "fuse/eval/t_test.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.h"

namespace fuse::eval {
namespace {

using fuse::testing::error_of;

// Student's t for 3 and 4 degrees of freedom in closed form: the two-sided p-value of |t|.
double p_df3(double t) { return 1 - 2 / M_PI * (std::atan(t / std::sqrt(3.0)) + t * std::sqrt(3.0) / (t * t + 3)); }
double p_df4(double t) {
  const double u = t / std::sqrt(t * t + 4);
  return 1 - 1.5 * u * (1 - u * u / 3);
}

TEST(WelchTTest, DifferenceIntervalAndPValue) {
  // Equal spreads of 3 values: 4 degrees of freedom, the standard error sqrt(1/3 + 1/3).
  const TTest t = welch_t_test({1, 2, 3}, {4, 5, 6});
  const double se = std::sqrt(2.0 / 3);
  EXPECT_DOUBLE_EQ(t.difference, 3);
  EXPECT_NEAR(t.df, 4, 1e-12);
  EXPECT_NEAR(t.upper - t.difference, 2.776445105 * se, 1e-8);  // t(0.975, 4) from the tables
  EXPECT_NEAR(t.difference - t.lower, 2.776445105 * se, 1e-8);
  EXPECT_NEAR(t.p, p_df4(3 / se), 1e-12);
  // Unequal spreads and sizes: Welch–Satterthwaite's degrees of freedom, below n_a + n_b - 2.
  const TTest u = welch_t_test({0.90, 0.92, 0.91}, {0.93, 0.99, 0.95, 0.97});
  const double va = 0.0001 / 3, vb = 0.002 / 3 / 4;  // variances of the means
  EXPECT_NEAR(u.difference, 0.96 - 0.91, 1e-12);
  EXPECT_NEAR(u.df, (va + vb) * (va + vb) / (va * va / 2 + vb * vb / 3), 1e-9);
  EXPECT_LT(u.df, 5);
  EXPECT_GT(u.lower, 0);  // clearly apart
  // Swapped sides: the opposite difference, the same p.
  const TTest swapped = welch_t_test({4, 5, 6}, {1, 2, 3});
  EXPECT_DOUBLE_EQ(swapped.difference, -3);
  EXPECT_NEAR(swapped.p, t.p, 1e-15);
}

TEST(PairedTTest, PlainAndCorrectedForCrossValidation) {
  const std::vector<double> a{1, 2, 3, 4}, b{1.5, 2.7, 3.4, 4.9};  // differences 0.5, 0.7, 0.4, 0.9
  const double variance = 0.1475 / 3;
  const TTest plain = paired_t_test(a, b, 1.0 / 4);
  EXPECT_NEAR(plain.difference, 0.625, 1e-12);
  EXPECT_EQ(plain.df, 3);
  EXPECT_NEAR(plain.upper - plain.difference, 3.182446305 * std::sqrt(variance / 4), 1e-8);  // t(0.975, 3)
  EXPECT_NEAR(plain.p, p_df3(0.625 / std::sqrt(variance / 4)), 1e-12);
  // Nadeau and Bengio for 4 folds: the variance times 1/4 + 1/3, a wider interval and a larger p.
  const TTest corrected = paired_t_test(a, b, 1.0 / 4 + 1.0 / 3);
  EXPECT_NEAR(corrected.upper - corrected.difference, 3.182446305 * std::sqrt(variance * (1.0 / 4 + 1.0 / 3)), 1e-8);
  EXPECT_NEAR(corrected.p, p_df3(0.625 / std::sqrt(variance * (1.0 / 4 + 1.0 / 3))), 1e-12);
  EXPECT_GT(corrected.p, plain.p);
  // A 90% interval is narrower.
  EXPECT_LT(paired_t_test(a, b, 1.0 / 4, 0.9).upper, plain.upper);
}

TEST(TTest, TooFewOrConstantValuesAreRefused) {
  EXPECT_EQ(error_of([] { welch_t_test({1}, {2, 3}); }), "a t-test needs two or more values on each side (their spread), got 1 and 2");
  EXPECT_EQ(error_of([] { welch_t_test({1, 1}, {2, 2}); }), "a t-test needs values that vary: both sides are constant");
  EXPECT_EQ(error_of([] { paired_t_test({1, 2}, {1, 2, 3}, 0.5); }), "a paired t-test needs two or more pairs, got 2 and 3 values");
  EXPECT_EQ(error_of([] { paired_t_test({1, 2}, {2, 3}, 0.5); }), "a paired t-test needs differences that vary: every pair differs by the same amount");
  EXPECT_EQ(error_of([] { welch_t_test({1, 2}, {2, 4}, 1.5); }), "the interval's level must be between 0 and 1, got 1.500000");
}

}  // namespace
}  // namespace fuse::eval
