#include "fuse/data/sample_difference.h"

#include <gtest/gtest.h>

namespace fuse::data {
namespace {

NDict sample(float corner, const std::string& label = "benign") {
  NDict s;
  s.set("data.ct", Value(Tensor::from_vector<float>({corner, 1, 2, 3}, {2, 2})));
  s.set("data.label", label);
  return s;
}

TEST(SampleDifference, EqualSamplesHaveNone) {
  EXPECT_EQ(sample_difference(sample(0), sample(0)), std::nullopt);
}

TEST(SampleDifference, NamesTheFirstDifferingKeyAndHowMuch) {
  EXPECT_EQ(sample_difference(sample(0), sample(-0.25f)), "'data.ct': float32[2, 2] before, float32[2, 2] now, max |difference| 0.25");
  EXPECT_EQ(sample_difference(sample(0), sample(0, "malignant")), "'data.label': \"benign\" before, \"malignant\" now");
  NDict reshaped = sample(0);
  reshaped.set("data.ct", Value(Tensor::from_vector<float>({0, 1, 2, 3}, {4})));
  EXPECT_EQ(sample_difference(sample(0), reshaped), "'data.ct': float32[2, 2] before, float32[4] now");
}

TEST(SampleDifference, KeysOnlyOneSampleHas) {
  NDict more = sample(0);
  more.set("data.extra", int64_t{3});
  EXPECT_EQ(sample_difference(sample(0), more), "'data.extra': absent before, 3 now");
  EXPECT_EQ(sample_difference(more, sample(0)), "'data.extra': 3 before, absent now");
}

}  // namespace
}  // namespace fuse::data
