#include "fuse/loader/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "test_support.h"

namespace fuse::loader {
namespace {

using fuse::testing::error_of;

std::vector<size_t> flat(const Batches& b) {
  std::vector<size_t> out;
  for (const Batch& batch : b)
    for (const Pick& p : batch) out.push_back(p.sample);
  return out;
}

TEST(SequentialSampler, InOrderWithASmallerLastBatch) {
  const Batches b = SequentialSampler(7, 3, false, false, 0).batches(0);
  EXPECT_EQ(b, (Batches{{0, 1, 2}, {3, 4, 5}, {6}}));
  EXPECT_EQ(SequentialSampler(7, 3, false, true, 0).batches(0), (Batches{{0, 1, 2}, {3, 4, 5}}));
}

TEST(SequentialSampler, ShuffleIsAPermutationFixedBySeedAndEpoch) {
  const SequentialSampler s(50, 8, true, false, 3);
  std::vector<size_t> e0 = flat(s.batches(0)), e1 = flat(s.batches(1));
  EXPECT_EQ(e0, flat(s.batches(0)));
  EXPECT_NE(e0, e1);
  EXPECT_NE(e0, flat(SequentialSampler(50, 8, true, false, 4).batches(0)));
  std::sort(e0.begin(), e0.end());
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(e0[i], i);
}

TEST(BalancedSampler, EqualSharesOfEachClassPerBatch) {
  std::vector<std::string> classes(90, "neg");
  for (size_t i = 0; i < 10; ++i) classes[i * 9] = "pos";
  const BalancedSampler s(classes, 8, {}, 0, 5);
  const Batches b = s.batches(0);
  EXPECT_EQ(b.size(), 12u);  // as many batches as cover 90 samples once
  for (const auto& batch : b) {
    ASSERT_EQ(batch.size(), 8u);
    EXPECT_EQ(std::count_if(batch.begin(), batch.end(), [&](const Pick& p) { return classes[p.sample] == "pos"; }), 4);
  }
  EXPECT_EQ(s.batches(0), b);
  EXPECT_NE(s.batches(1), b);
}

TEST(BalancedSampler, GivenProbabilitiesAndEveryMinoritySampleUsed) {
  std::vector<std::string> classes = {"a", "a", "a", "a", "a", "a", "b", "b", "c"};
  const BalancedSampler s(classes, 10, {0.5, 0.3, 0.2}, 3, 1);
  EXPECT_EQ(s.class_names(), (std::vector<std::string>{"a", "b", "c"}));
  std::map<std::string, int> seen;
  for (const auto& batch : s.batches(2)) {
    std::map<std::string, int> count;
    for (const Pick& p : batch) ++count[classes[p.sample]], ++seen[std::to_string(p.sample)];
    EXPECT_EQ(count["a"], 5);
    EXPECT_EQ(count["b"], 3);
    EXPECT_EQ(count["c"], 2);
  }
  EXPECT_EQ(seen.size(), 9u);  // each class's pool is drawn through before repeating
}

// A minority sample drawn several times in an epoch is a different pick each time: its repeat number counts
// up in batch order, so its dynamic pipeline draws anew (Dataset::Worker::get).
TEST(BalancedSampler, RepeatedPicksAreNumbered) {
  std::vector<std::string> classes(40, "common");
  classes[0] = "rare";
  const Batches b = BalancedSampler(classes, 8, {}, 5, 1).batches(0);
  uint32_t expected = 0;
  for (const Batch& batch : b)
    for (const Pick& p : batch)
      if (p.sample == 0) {
        EXPECT_EQ(p.repeat, expected++);
      }
  EXPECT_EQ(expected, 20u);  // half of 5 batches of 8
  for (const Batch& batch : b)
    for (const Pick& p : batch) {
      if (p.sample != 0) {
        EXPECT_EQ(p.repeat, 0u) << p.sample;  // 39 common samples, 20 picks: none twice
      }
    }
}

TEST(SequentialSampler, RepeatsPickEachSampleThatManyTimes) {
  EXPECT_EQ(SequentialSampler(3, 4, false, false, 0, 2).batches(0), (Batches{{0, 1, 2, {0, 1}}, {{1, 1}, {2, 1}}}));
  const Batches shuffled = SequentialSampler(10, 4, true, false, 6, 3).batches(2);
  std::map<size_t, std::vector<uint32_t>> repeats;
  for (const Batch& batch : shuffled)
    for (const Pick& p : batch) repeats[p.sample].push_back(p.repeat);
  ASSERT_EQ(repeats.size(), 10u);
  for (auto& [sample, r] : repeats) {
    std::sort(r.begin(), r.end());
    EXPECT_EQ(r, (std::vector<uint32_t>{0, 1, 2})) << sample;
  }
  // One repeat leaves the shuffled order as it was without the option.
  EXPECT_EQ(SequentialSampler(10, 4, true, false, 6, 1).batches(2), SequentialSampler(10, 4, true, false, 6).batches(2));
  EXPECT_EQ(error_of([] { SequentialSampler(3, 4, false, false, 0, 0); }), "each sample must be drawn at least once per epoch ('repeats' >= 1)");
}

TEST(BalancedSampler, BadProbabilitiesAreRefused) {
  EXPECT_EQ(error_of([] { BalancedSampler({"a", "b"}, 4, {1.0}, 0, 0); }),
            "balanced sampler: 1 class probabilities for 2 classes (a, b)");
  EXPECT_EQ(error_of([] { BalancedSampler({"a"}, 4, {0.0}, 0, 0); }),
            "balanced sampler: the class probabilities must add up to more than 0");
}

TEST(WeightedSampler, DrawsInProportionToWeight) {
  const WeightedSampler s({1.0, 0.0, 3.0}, 4000, 100, 2);
  const Batches b = s.batches(0);
  EXPECT_EQ(b.size(), 40u);
  std::map<size_t, int> count;
  for (size_t i : flat(b)) ++count[i];
  EXPECT_EQ(count[1], 0);
  EXPECT_NEAR(count[2] / 4000.0, 0.75, 0.03);
  EXPECT_EQ(error_of([] { WeightedSampler({0.0, 0.0}, 4, 2, 0); }), "weighted sampler: the weights add up to 0");
  EXPECT_EQ(error_of([] { WeightedSampler({1.0, -1.0}, 4, 2, 0); }), "weighted sampler: weight 1 is -1.000000");
}

}  // namespace
}  // namespace fuse::loader
