#include "fuse_sdk/random.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace fuse::sdk {
namespace {

TEST(Random, SameSeedSameSequenceOtherSeedOther) {
  Random a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Random, TheSequenceIsFixedAcrossPlatforms) {
  // Pinned values: a change here changes every augmentation users have reproduced.
  Random r(0);
  EXPECT_EQ(r.next(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(r.below(10), 7u);
}

TEST(Random, DistributionsHaveTheirMoments) {
  Random r(1);
  const int n = 200000;
  double sum = 0, sum2 = 0, usum = 0;
  int hits = 0;
  std::vector<int> counts(5, 0);
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    sum += z, sum2 += z * z;
    const double u = r.uniform(2.0, 4.0);
    ASSERT_GE(u, 2.0);
    ASSERT_LT(u, 4.0);
    usum += u;
    hits += r.chance(0.25);
    ++counts[r.below(5)];
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.01);
  EXPECT_NEAR(usum / n, 3.0, 0.01);
  EXPECT_NEAR(hits / static_cast<double>(n), 0.25, 0.005);
  for (int c : counts) EXPECT_NEAR(c / static_cast<double>(n), 0.2, 0.005);
  EXPECT_FALSE(r.chance(0.0));
  EXPECT_TRUE(r.chance(1.0));
}

}  // namespace
}  // namespace fuse::sdk
