#include <gtest/gtest.h>

#include <cmath>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::sample;
using testing::values;

const char* kImage = R"({"img": [[[[1.0, 2.0], [3.0, 4.0]]]], "mask": [[[[1, 1], [0, 0]]]]})";

TEST(ZNorm, WholeImageMaskOrNonzero) {
  const std::vector<float> all = values<float>(run_op("fuse.medical.znorm", R"({"keys": ["img"]})", sample(kImage)).get<Tensor>("img"));
  const float sd = std::sqrt(1.25f);
  EXPECT_FLOAT_EQ(all[0], -1.5f / sd);
  EXPECT_FLOAT_EQ(all[3], 1.5f / sd);
  // Statistics over the mask {1, 2}: mean 1.5, sd 0.5; every voxel is normalised.
  EXPECT_EQ(values<float>(run_op("fuse.medical.znorm", R"({"keys": ["img"], "mask_key": "mask"})", sample(kImage)).get<Tensor>("img")),
            (std::vector<float>{-1, 1, 3, 5}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.znorm", R"({"keys": ["img"], "nonzero": true})", sample(R"({"img": [[[[0.0, 2.0], [4.0, 0.0]]]]})"))
                              .get<Tensor>("img")),
            (std::vector<float>{0, -1, 1, 0}));
}

TEST(ZNorm, IntegerImagesBecomeFloatAndChannelsAreSeparate) {
  const NDict out = run_op("fuse.medical.znorm", R"({"keys": ["img"], "dims": 2})", sample(R"({"img": [[[1, 3]], [[10, 30]]]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{-1, 1, -1, 1}));
}

TEST(ZNorm, AZeroStandardDeviationIsAClearError) {
  EXPECT_EQ(error_of([] { run_op("fuse.medical.znorm", R"({"keys": ["img"]})", sample(R"({"img": [[[[5.0, 5.0], [5.0, 5.0]]]]})")); }),
            "op 'fuse.medical.znorm' (plugin 'fuse.ops_medical'): key 'img' channel 0: the standard deviation is 0 (all 4 voxels equal 5), "
            "so z-normalisation would divide by zero; check the image");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.znorm", R"({"keys": ["img"], "mask_key": "mask"})", sample(R"({"img": [[[[5.0, 5.0], [1.0, 2.0]]]], "mask": [[[[1, 1], [0, 0]]]]})")); }),
            "op 'fuse.medical.znorm' (plugin 'fuse.ops_medical'): key 'img' channel 0: the standard deviation is 0 (all 2 voxels in mask "
            "'mask' equal 5), so z-normalisation would divide by zero; check the image and the mask");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.znorm", R"({"keys": ["img"], "mask_key": "mask"})", sample(R"({"img": [[[[5.0, 5.0], [1.0, 2.0]]]], "mask": [[[[0, 0], [0, 0]]]]})")); }),
            "op 'fuse.medical.znorm' (plugin 'fuse.ops_medical'): key 'img' channel 0: no voxel to compute the mean from (the mask 'mask' is empty)");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.znorm", R"({"keys": ["img"], "mask_key": "mask"})", sample(R"({"img": [[[[5.0, 5.0], [1.0, 2.0]]]], "mask": [[[[0, 0, 1]]]]})")); }),
            "op 'fuse.medical.znorm' (plugin 'fuse.ops_medical'): mask 'mask' [1, 1, 1, 3] does not cover image 'img' [1, 1, 2, 2] voxel for voxel");
}

TEST(Rescale, FromPercentilesOrFixedBounds) {
  const char* five = R"({"img": [[[[0.0, 1.0, 2.0, 3.0, 4.0]]]]})";
  EXPECT_EQ(values<float>(run_op("fuse.medical.rescale", R"({"keys": ["img"]})", sample(five)).get<Tensor>("img")),
            (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.rescale", R"({"keys": ["img"], "percentiles": [25, 75], "out_min": -1, "out_max": 1})", sample(five))
                              .get<Tensor>("img")),
            (std::vector<float>{-1, -1, 0, 1, 1}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.rescale", R"({"keys": ["img"], "in_min": 0, "in_max": 8, "clip": false})", sample(five))
                              .get<Tensor>("img")),
            (std::vector<float>{0, 0.125f, 0.25f, 0.375f, 0.5f}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.rescale", R"({"keys": ["img"]})", sample(R"({"img": [[[[3.0, 3.0]]]]})")).get<Tensor>("img")),
            (std::vector<float>{0, 0}));
  EXPECT_EQ(error_of([] { run_op("fuse.medical.rescale", R"({"keys": ["img"], "percentiles": [90, 10]})", NDict()); }),
            "op 'fuse.medical.rescale' (plugin 'fuse.ops_medical'): create failed: 'percentiles' must be [low, high] with 0 <= low <= high <= 100");
}

TEST(Clip, FixedBoundsOrPercentiles) {
  const char* five = R"({"img": [[[[0.0, 1.0, 2.0, 3.0, 4.0]]]]})";
  EXPECT_EQ(values<float>(run_op("fuse.medical.clip", R"({"keys": ["img"], "min": 1, "max": 2.5})", sample(five)).get<Tensor>("img")),
            (std::vector<float>{1, 1, 2, 2.5f, 2.5f}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.clip", R"({"keys": ["img"], "percentiles": [12.5, 100]})", sample(five)).get<Tensor>("img")),
            (std::vector<float>{0.5f, 1, 2, 3, 4}));
}

// 'channels' changes only the channels listed (the CT of a CT + PET image); the others stay as they were.
TEST(IntensityChannels, OnlyTheListedChannelsChange) {
  const char* two = R"({"img": [[[1.0, 3.0]], [[10.0, 30.0]], [[0.0, 8.0]]]})";  // [3, 1, 2]: three channels
  EXPECT_EQ(values<float>(run_op("fuse.medical.znorm", R"({"keys": ["img"], "dims": 2, "channels": [1]})", sample(two)).get<Tensor>("img")),
            (std::vector<float>{1, 3, -1, 1, 0, 8}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.rescale", R"({"keys": ["img"], "dims": 2, "channels": [2, 0]})", sample(two)).get<Tensor>("img")),
            (std::vector<float>{0, 1, 10, 30, 0, 1}));
  EXPECT_EQ(values<float>(run_op("fuse.medical.clip", R"({"keys": ["img"], "dims": 2, "min": 2, "max": 20, "channels": [0, 1]})", sample(two))
                              .get<Tensor>("img")),
            (std::vector<float>{2, 3, 10, 20, 0, 8}));
  EXPECT_EQ(error_of([&] { run_op("fuse.medical.znorm", R"({"keys": ["img"], "dims": 2, "channels": [3]})", sample(two)); }),
            "op 'fuse.medical.znorm' (plugin 'fuse.ops_medical'): key 'img' [3, 1, 2] has 3 channel(s) and 'channels' lists 3 (channels count from 0)");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.rescale", R"({"keys": ["img"], "channels": [0, 0]})", NDict()); }),
            "op 'fuse.medical.rescale' (plugin 'fuse.ops_medical'): create failed: 'channels' lists the channels to change, each once, counting from 0 "
            "(e.g. [0]); got 0 twice");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.clip", R"({"keys": ["img"], "min": 0, "max": 1, "channels": [-1]})", NDict()); }),
            "op 'fuse.medical.clip' (plugin 'fuse.ops_medical'): create failed: 'channels' lists the channels to change, each once, counting from 0 "
            "(e.g. [0]); got -1");
}

}  // namespace
}  // namespace fuse
