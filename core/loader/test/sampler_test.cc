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
  for (const auto& batch : b) out.insert(out.end(), batch.begin(), batch.end());
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
    EXPECT_EQ(std::count_if(batch.begin(), batch.end(), [&](size_t i) { return classes[i] == "pos"; }), 4);
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
    for (size_t i : batch) ++count[classes[i]], ++seen[std::to_string(i)];
    EXPECT_EQ(count["a"], 5);
    EXPECT_EQ(count["b"], 3);
    EXPECT_EQ(count["c"], 2);
  }
  EXPECT_EQ(seen.size(), 9u);  // each class's pool is drawn through before repeating
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
