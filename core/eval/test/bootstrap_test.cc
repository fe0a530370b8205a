#include "fuse/eval/bootstrap.h"

#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

namespace fuse::eval {
namespace {

TEST(Bootstrap, CountsKeepEachStratumsSizeAndAreReproducible) {
  std::vector<uint32_t> odd = {1, 3, 5, 7, 9};
  std::vector<Stratum> strata = {Stratum{0, 5, odd.data()}, Stratum{10, 20, nullptr}};
  std::vector<uint8_t> a(20), b(20);
  draw_counts(42, 7, strata, a);
  draw_counts(42, 7, strata, b);
  EXPECT_EQ(a, b);
  int in_odd = 0, in_range = 0, elsewhere = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i >= 10) in_range += a[i];
    else if (i % 2 == 1) in_odd += a[i];
    else elsewhere += a[i];
  }
  EXPECT_EQ(in_odd, 5);
  EXPECT_EQ(in_range, 10);
  EXPECT_EQ(elsewhere, 0);
  draw_counts(42, 8, strata, b);
  EXPECT_NE(a, b);  // another round
}

TEST(Bootstrap, CountsAreMultinomialOnAverage) {
  // Over many rounds each row of a 50-row stratum is drawn once on average, with variance about 1.
  std::vector<uint8_t> c(50);
  std::vector<double> sum(50, 0), sq(50, 0);
  const int rounds = 4000;
  for (int r = 0; r < rounds; ++r) {
    draw_counts(1, static_cast<uint64_t>(r), {Stratum{0, 50, nullptr}}, c);
    for (size_t i = 0; i < 50; ++i) sum[i] += c[i], sq[i] += c[i] * c[i];
  }
  for (size_t i = 0; i < 50; ++i) {
    const double mean = sum[i] / rounds, var = sq[i] / rounds - mean * mean;
    EXPECT_NEAR(mean, 1.0, 0.08) << i;
    EXPECT_NEAR(var, 49.0 / 50, 0.12) << i;  // Binomial(50, 1/50)
  }
}

TEST(Bootstrap, Quantiles) {
  EXPECT_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_EQ(quantile({1, 2, 3, 4}, 0.0), 1.0);
  EXPECT_EQ(quantile({1, 2, 3, 4}, 1.0), 4.0);
  EXPECT_NEAR(quantile({10, 20, 30}, 0.25), 15.0, 1e-12);
}

TEST(Bootstrap, NormalDistribution) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(normal_cdf(1.959963984540054), 0.975, 1e-12);
  for (double p : {0.001, 0.1, 0.3, 0.7, 0.99}) EXPECT_NEAR(normal_cdf(normal_quantile(p)), p, 1e-12);
}

TEST(Bootstrap, PercentileIntervalIgnoresNaN) {
  std::vector<double> v(101);
  std::iota(v.begin(), v.end(), 0.0);
  v.push_back(std::nan(""));
  Interval i = percentile_interval(v, 0.9);
  EXPECT_NEAR(i.lower, 5.0, 1e-12);
  EXPECT_NEAR(i.upper, 95.0, 1e-12);
}

TEST(Bootstrap, BcaOfAKnownCase) {
  // Worked by hand: replicates 0..99, estimate 60 -> 60 below and one equal (counts half): share 0.605,
  // z0 = Phi^-1(0.605) = 0.2663106; jackknife {1, 2, 3, 10}: mean 4, deviations {3, 2, 1, -6}:
  // sum d^3 = -180, sum d^2 = 50, a = -180 / (6 * 50^1.5) = -0.0848528. For level 0.9, z = -1.6448536 gives
  // Phi(z0 + (z0 + z) / (1 - a (z0 + z))) = 0.0976867, z = +1.6448536 gives 0.9719844; the interval is those
  // quantiles of the replicates (x 99 for 0..99).
  std::vector<double> replicates(100);
  std::iota(replicates.begin(), replicates.end(), 0.0);
  Interval i = bca_interval(replicates, 60, {1, 2, 3, 10}, 0.9);
  EXPECT_NEAR(i.lower, 0.0976867 * 99, 1e-4);
  EXPECT_NEAR(i.upper, 0.9719844 * 99, 1e-4);
  // Without skew or bias it is the percentile interval.
  Interval p = percentile_interval(replicates, 0.9);
  Interval b = bca_interval(replicates, 49.5, {1, 2, 3, 4}, 0.9);
  EXPECT_NEAR(b.lower, p.lower, 1e-9);
  EXPECT_NEAR(b.upper, p.upper, 1e-9);
}

}  // namespace
}  // namespace fuse::eval
