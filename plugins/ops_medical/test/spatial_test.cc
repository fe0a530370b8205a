#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::run_op_training;
using testing::values;

// A [1, z, y, x] float image 0, 1, 2, ... and the same values as an int64 label map.
NDict volume(int64_t x, int64_t y, int64_t z) {
  std::vector<float> v(static_cast<size_t>(x * y * z));
  std::iota(v.begin(), v.end(), 0.0f);
  std::vector<int64_t> l(v.begin(), v.end());
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(v, {1, z, y, x})));
  s.set("seg", Value(Tensor::from_vector<int64_t>(l, {1, z, y, x})));
  return s;
}

std::vector<float> as_float(const std::vector<int64_t>& v) { return std::vector<float>(v.begin(), v.end()); }

TEST(RandomFlip, FlipsEveryKeyTheSameWay) {
  const NDict out = run_op_training("fuse.medical.random_flip", R"({"keys": ["img"], "labels": ["seg"], "axes": [0], "flip_p": 1})", volume(3, 2, 1), 1);
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{2, 1, 0, 5, 4, 3}));  // dtype kept
  const NDict untouched = run_op("fuse.medical.random_flip", R"({"keys": ["img"], "axes": [0], "flip_p": 1})", volume(3, 2, 1));
  EXPECT_EQ(values<float>(untouched.get<Tensor>("img")), (std::vector<float>{0, 1, 2, 3, 4, 5}));  // not training
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_flip", R"({"keys": ["img"], "axes": [3]})", NDict()); }),
            "op 'fuse.medical.random_flip' (plugin 'fuse.ops_medical'): create failed: 'axes' holds 3; spatial axes are 0 (x) to 2");
}

TEST(RandomRot90, OneOfTheThreeRotationsForImageAndLabel) {
  std::set<std::vector<float>> seen;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const NDict out = run_op_training("fuse.medical.random_rot90", R"({"keys": ["img"], "labels": ["seg"], "axes": [0, 1], "dims": 2})",
                                      [] {
                                        NDict s = volume(3, 2, 1);
                                        s.set("img", Value(s.get<Tensor>("img").reshape({1, 2, 3})));
                                        s.set("seg", Value(s.get<Tensor>("seg").reshape({1, 2, 3})));
                                        return s;
                                      }(),
                                      seed);
    const std::vector<float> img = values<float>(out.get<Tensor>("img"));
    EXPECT_EQ(img, as_float(values<int64_t>(out.get<Tensor>("seg"))));
    seen.insert(img);
  }
  // [[0 1 2] [3 4 5]] rotated by 90, 180 and 270 degrees.
  EXPECT_EQ(seen, (std::set<std::vector<float>>{{2, 5, 1, 4, 0, 3}, {5, 4, 3, 2, 1, 0}, {3, 0, 4, 1, 5, 2}}));
}

TEST(RandomAffine, IdentityRangesChangeNothingAndARightAngleRotates) {
  const char* identity = R"({"keys": ["img"], "labels": ["seg"], "rotation": [0, 0], "scale": [1, 1]})";
  const NDict same = run_op_training("fuse.medical.random_affine", identity, volume(4, 3, 2), 9);
  EXPECT_EQ(values<float>(same.get<Tensor>("img")), values<float>(volume(4, 3, 2).get<Tensor>("img")));
  NDict square = volume(3, 3, 1);
  square.set("img", Value(square.get<Tensor>("img").reshape({1, 3, 3})));
  square.set("seg", Value(square.get<Tensor>("seg").reshape({1, 3, 3})));
  const NDict turned =
      run_op_training("fuse.medical.random_affine", R"({"keys": ["img"], "labels": ["seg"], "rotation": [90, 90], "scale": [1, 1], "dims": 2})", square, 9);
  const std::vector<float> img = values<float>(turned.get<Tensor>("img"));
  EXPECT_EQ(values<int64_t>(turned.get<Tensor>("seg")), (std::vector<int64_t>{2, 5, 8, 1, 4, 7, 0, 3, 6}));
  for (size_t i = 0; i < img.size(); ++i) EXPECT_NEAR(img[i], as_float(values<int64_t>(turned.get<Tensor>("seg")))[i], 1e-4);
}

TEST(RandomAffine, TheSeedDecidesTheDraw) {
  const char* config = R"({"keys": ["img"], "rotation": [-30, 30], "scale": [0.8, 1.2]})";
  const std::vector<float> a = values<float>(run_op_training("fuse.medical.random_affine", config, volume(8, 8, 8), 1).get<Tensor>("img"));
  EXPECT_EQ(values<float>(run_op_training("fuse.medical.random_affine", config, volume(8, 8, 8), 1).get<Tensor>("img")), a);
  EXPECT_NE(values<float>(run_op_training("fuse.medical.random_affine", config, volume(8, 8, 8), 2).get<Tensor>("img")), a);
}

TEST(RandomElastic, MovesImageAndLabelTogether) {
  const char* config = R"({"keys": ["img"], "labels": ["seg"], "max_displacement": 3, "control_points": 5, "locked_borders": 1})";
  const NDict in = volume(16, 16, 16);
  const NDict out = run_op_training("fuse.medical.random_elastic", config, in, 4);
  const std::vector<float> img = values<float>(out.get<Tensor>("img"));
  const std::vector<int64_t> seg = values<int64_t>(out.get<Tensor>("seg"));
  EXPECT_NE(img, values<float>(in.get<Tensor>("img")));
  size_t close = 0;
  for (size_t i = 0; i < img.size(); ++i) close += std::abs(img[i] - static_cast<float>(seg[i])) <= 16 * 16 + 16 + 1;
  EXPECT_EQ(close, img.size());  // the nearest voxel is a neighbour of the interpolated position
  EXPECT_EQ(values<float>(run_op_training("fuse.medical.random_elastic", config, in, 4).get<Tensor>("img")), img);
  const NDict still = run_op_training("fuse.medical.random_elastic", R"({"keys": ["img"], "max_displacement": 0})", in, 4);
  EXPECT_EQ(values<float>(still.get<Tensor>("img")), values<float>(in.get<Tensor>("img")));
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_elastic", R"({"keys": ["img"], "control_points": 4, "locked_borders": 2})", NDict()); }),
            "op 'fuse.medical.random_elastic' (plugin 'fuse.ops_medical'): create failed: 'locked_borders' 2 locks every one of the 4 control "
            "points per axis; use more 'control_points' or fewer locked borders");
}

TEST(RandomAffine, AnElasticPartRidesOnTheSameResampling) {
  const char* config = R"({"keys": ["img"], "labels": ["seg"], "rotation": [0, 0], "scale": [1, 1], "elastic_max_displacement": 3,
                           "elastic_control_points": 5, "elastic_locked_borders": 1})";
  const NDict in = volume(16, 16, 16);
  const NDict out = run_op_training("fuse.medical.random_affine", config, in, 4);
  const std::vector<float> img = values<float>(out.get<Tensor>("img"));
  const std::vector<int64_t> seg = values<int64_t>(out.get<Tensor>("seg"));
  EXPECT_NE(img, values<float>(in.get<Tensor>("img")));
  for (size_t i = 0; i < img.size(); ++i) ASSERT_LE(std::abs(img[i] - static_cast<float>(seg[i])), 16 * 16 + 16 + 1) << i;
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_affine", R"({"keys": ["img"], "elastic_max_displacement": 2, "elastic_control_points": 4})", NDict()); }),
            "op 'fuse.medical.random_affine' (plugin 'fuse.ops_medical'): create failed: 'elastic_locked_borders' 2 locks every one of the 4 "
            "control points per axis; use more 'elastic_control_points' or fewer locked borders");
}

TEST(SpatialOps, KeysOfDifferentGridsAreRefused) {
  NDict s = volume(4, 4, 4);
  s.set("seg", Value(Tensor::zeros({1, 4, 4, 3}, sdk::kInt64)));
  EXPECT_EQ(error_of([&] { run_op_training("fuse.medical.random_flip", R"({"keys": ["img"], "labels": ["seg"]})", s, 1); }),
            "op 'fuse.medical.random_flip' (plugin 'fuse.ops_medical'): keys 'img' and 'seg' have different spatial shapes ([1, 4, 4, 4] and "
            "[1, 4, 4, 3]); a spatial op moves them together, so they must share a grid");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_flip", "{}", NDict()); }),
            "op 'fuse.medical.random_flip' (plugin 'fuse.ops_medical'): create failed: name at least one key in 'keys' or 'labels'");
}

}  // namespace
}  // namespace fuse
