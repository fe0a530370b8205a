#include "fuse/loader/rank_shard.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fuse/base/error.h"

namespace fuse::loader {
namespace {

TEST(RankShardSampler, RanksTogetherSeeEachGlobalBatch) {
  const SequentialSampler global(10, 4, true, false, 7);
  RankShardSampler r0(std::make_unique<SequentialSampler>(10, 4, true, false, 7), 0, 2);
  RankShardSampler r1(std::make_unique<SequentialSampler>(10, 4, true, false, 7), 1, 2);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const Batches all = global.batches(epoch), a = r0.batches(epoch), b = r1.batches(epoch);
    ASSERT_EQ(all.size(), 3u);  // 4 + 4 + 2
    ASSERT_EQ(a.size(), 3u);
    ASSERT_EQ(b.size(), 3u);
    for (size_t i = 0; i < all.size(); ++i) {
      std::vector<size_t> together, expected;
      for (const Batch* part : {&a[i], &b[i]})
        for (const Pick& p : *part) together.push_back(p.sample);
      for (const Pick& p : all[i]) expected.push_back(p.sample);
      std::sort(together.begin(), together.end());
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(together, expected) << "epoch " << epoch << " batch " << i;
    }
    EXPECT_EQ(r0.shares(epoch), (std::vector<double>{0.5, 0.5, 0.5}));
  }
}

TEST(RankShardSampler, UnevenBatchesGiveUnevenShares) {
  // Batches of 5 and 2 over 3 ranks: the batch of 2 is left out on every rank.
  RankShardSampler r0(std::make_unique<SequentialSampler>(7, 5, false, false, 1), 0, 3);
  RankShardSampler r2(std::make_unique<SequentialSampler>(7, 5, false, false, 1), 2, 3);
  EXPECT_EQ(r0.batches(0), (Batches{{0, 3}}));
  EXPECT_EQ(r2.batches(0), (Batches{{2}}));
  EXPECT_EQ(r0.shares(0), (std::vector<double>{0.4}));
  EXPECT_EQ(r2.shares(0), (std::vector<double>{0.2}));
}

TEST(RankShardSampler, KeepsTheBalanceOfABalancedSampler) {
  std::vector<std::string> classes(90, "common");
  for (int i = 0; i < 10; ++i) classes.push_back("rare");
  RankShardSampler r0(std::make_unique<BalancedSampler>(classes, 8, std::vector<double>{}, 5, 3), 0, 2);
  RankShardSampler r1(std::make_unique<BalancedSampler>(classes, 8, std::vector<double>{}, 5, 3), 1, 2);
  for (size_t b = 0; b < 5; ++b) {
    size_t rare = 0;
    for (const Batches& shard : {r0.batches(0), r1.batches(0)})
      for (const Pick& p : shard[b]) rare += p.sample >= 90;
    EXPECT_EQ(rare, 4u) << "batch " << b;  // half of each global batch of 8
  }
}

// Repeat numbers are counted over the global batches, so a sample's n-th pick has the same number (and so the
// same augmentation) whichever rank gets it.
TEST(RankShardSampler, KeepsTheGlobalRepeatNumbers) {
  const WeightedSampler global({1.0, 1.0, 1.0}, 12, 4, 9);
  RankShardSampler r1(std::make_unique<WeightedSampler>(std::vector<double>{1.0, 1.0, 1.0}, 12, 4, 9), 1, 2);
  const Batches all = global.batches(0), mine = r1.batches(0);
  for (size_t b = 0; b < all.size(); ++b) EXPECT_EQ(mine[b], (Batch{all[b][1], all[b][3]})) << b;
}

TEST(RankShardSampler, RefusesARankOutsideTheWorld) {
  try {
    RankShardSampler(std::make_unique<SequentialSampler>(4, 2, false, false, 1), 2, 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "rank shard: rank 2 of 2 does not exist");
  }
}

TEST(RankBlock, BlocksCoverTheSamplesInOrder) {
  size_t next = 0;
  for (int r = 0; r < 3; ++r) {
    const auto [begin, end] = rank_block(10, r, 3);
    EXPECT_EQ(begin, next);
    EXPECT_GE(end - begin, 3u);
    next = end;
  }
  EXPECT_EQ(next, 10u);
  EXPECT_EQ(RangeSampler(3, 8, 2).batches(0), (Batches{{3, 4}, {5, 6}, {7}}));
}

}  // namespace
}  // namespace fuse::loader
