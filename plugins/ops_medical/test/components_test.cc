#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::values;

// 6 x 6 label maps, [maps, y, x], as the rows are drawn.
NDict maps(const std::vector<std::vector<int64_t>>& rows_of_maps) {
  std::vector<int64_t> v;
  for (const auto& m : rows_of_maps) v.insert(v.end(), m.begin(), m.end());
  NDict s;
  s.set("seg", Value(Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(rows_of_maps.size()), 6, 6})));
  return s;
}

// Class 1: A (4 voxels, top left), B (6, bottom right), C (1, bottom left); class 2: one voxel touching B.
const std::vector<int64_t> kMap = {1, 1, 0, 0, 0, 0,  //
                                   1, 1, 0, 0, 0, 0,  //
                                   0, 0, 0, 0, 2, 0,  //
                                   0, 0, 0, 1, 1, 1,  //
                                   0, 0, 0, 1, 1, 1,  //
                                   1, 0, 0, 0, 0, 0};

std::vector<int64_t> cleaned(const std::string& config, const std::vector<int64_t>& map = kMap) {
  return values<int64_t>(run_op("fuse.medical.keep_components", config, maps({map})).get<Tensor>("seg"));
}

TEST(KeepComponents, TheLargestComponentOfEachClassStays) {
  EXPECT_EQ(cleaned(R"({"keys": ["seg"], "dims": 2})"), (std::vector<int64_t>{0, 0, 0, 0, 0, 0,  //
                                                                              0, 0, 0, 0, 0, 0,  //
                                                                              0, 0, 0, 0, 2, 0,  //
                                                                              0, 0, 0, 1, 1, 1,  //
                                                                              0, 0, 0, 1, 1, 1,  //
                                                                              0, 0, 0, 0, 0, 0}));
  // Components of at least 3 voxels, however many: A and B stay, C and the lone class-2 voxel go.
  EXPECT_EQ(cleaned(R"({"keys": ["seg"], "dims": 2, "largest": 0, "min_size": 3})"), (std::vector<int64_t>{1, 1, 0, 0, 0, 0,  //
                                                                                                          1, 1, 0, 0, 0, 0,  //
                                                                                                          0, 0, 0, 0, 0, 0,  //
                                                                                                          0, 0, 0, 1, 1, 1,  //
                                                                                                          0, 0, 0, 1, 1, 1,  //
                                                                                                          0, 0, 0, 0, 0, 0}));
  // Class 2 alone: class 1 is left as it was.
  EXPECT_EQ(cleaned(R"({"keys": ["seg"], "dims": 2, "classes": [2]})"), kMap);
}

TEST(KeepComponents, ClassesTogetherKeepTheirLabels) {
  // The foreground's largest component is B with the class-2 voxel touching it (full connectivity): it keeps both
  // labels; A and C go.
  EXPECT_EQ(cleaned(R"({"keys": ["seg"], "dims": 2, "independent": false})"), (std::vector<int64_t>{0, 0, 0, 0, 0, 0,  //
                                                                                                   0, 0, 0, 0, 0, 0,  //
                                                                                                   0, 0, 0, 0, 2, 0,  //
                                                                                                   0, 0, 0, 1, 1, 1,  //
                                                                                                   0, 0, 0, 1, 1, 1,  //
                                                                                                   0, 0, 0, 0, 0, 0}));
}

TEST(KeepComponents, ConnectivityAndTiesDecide) {
  // A diagonal pair and a horizontal pair of class 1. Corners touching (full): two components of 2, the one met
  // first stays. Faces only: the diagonal pair is two single voxels, the horizontal pair stays.
  const std::vector<int64_t> pairs = {1, 0, 0, 0, 0, 0,  //
                                      0, 1, 0, 0, 0, 0,  //
                                      0, 0, 0, 0, 0, 0,  //
                                      0, 0, 0, 1, 1, 0,  //
                                      0, 0, 0, 0, 0, 0,  //
                                      0, 0, 0, 0, 0, 0};
  std::vector<int64_t> diagonal(36, 0), horizontal(36, 0);
  diagonal[0] = diagonal[7] = 1;
  horizontal[21] = horizontal[22] = 1;
  EXPECT_EQ(cleaned(R"({"keys": ["seg"], "dims": 2})", pairs), diagonal);
  EXPECT_EQ(cleaned(R"({"keys": ["seg"], "dims": 2, "connectivity": "face"})", pairs), horizontal);
}

// The probabilities a map was made from follow it, so a map made again from them (on the original grid, by
// fuse.io.write_medical's 'scores') is cleaned too: their arg-max is the cleaned map.
TEST(KeepComponents, ScoresFollowTheMap) {
  NDict s = maps({kMap});
  std::vector<float> onehot(3 * 36, 0.0f);
  for (size_t i = 0; i < 36; ++i) onehot[static_cast<size_t>(kMap[i]) * 36 + i] = 1.0f;
  s.set("probs", Value(Tensor::from_vector<float>(onehot, {1, 3, 6, 6})));
  const NDict out = run_op("fuse.medical.keep_components", R"({"keys": ["seg"], "dims": 2, "scores": "probs"})", s);
  const std::vector<int64_t> map = values<int64_t>(out.get<Tensor>("seg"));
  const std::vector<float> probs = values<float>(out.get<Tensor>("probs"));
  for (size_t i = 0; i < 36; ++i) {
    size_t best = 0;
    for (size_t c = 1; c < 3; ++c)
      if (probs[c * 36 + i] > probs[best * 36 + i]) best = c;
    EXPECT_EQ(static_cast<int64_t>(best), map[i]) << i;
    EXPECT_FLOAT_EQ(probs[i] + probs[36 + i] + probs[72 + i], 1.0f) << i;  // moved, not lost
  }
  EXPECT_EQ(map, cleaned(R"({"keys": ["seg"], "dims": 2})"));
  s.set("probs", Value(Tensor::zeros({1, 3, 5, 6}, sdk::kFloat32)));
  EXPECT_EQ(error_of([&] { run_op("fuse.medical.keep_components", R"({"keys": ["seg"], "dims": 2, "scores": "probs"})", s); }),
            "op 'fuse.medical.keep_components' (plugin 'fuse.ops_medical'): 'scores' key 'probs' is shaped [1, 3, 5, 6]: it must hold class scores for "
            "each of the 1 label map(s) of 'seg' on their grid");
}

// Region probabilities (regions {1, 2} and {2}, a sigmoid each) follow as a whole: a removed voxel is in no
// region, so the labels made from them again (regions_class_order [1, 2], threshold 0.5) are the cleaned map.
TEST(KeepComponents, RegionProbabilitiesFollowTheMap) {
  NDict s = maps({kMap});
  std::vector<float> regions(2 * 36, 0.1f);
  for (size_t i = 0; i < 36; ++i) {
    if (kMap[i] >= 1) regions[i] = 0.9f;
    if (kMap[i] == 2) regions[36 + i] = 0.8f;
  }
  s.set("probs", Value(Tensor::from_vector<float>(regions, {1, 2, 6, 6})));
  const std::string config = R"({"keys": ["seg"], "dims": 2, "scores": "probs", "scores_are": "regions"})";
  const NDict out = run_op("fuse.medical.keep_components", config, s);
  const std::vector<int64_t> map = values<int64_t>(out.get<Tensor>("seg"));
  EXPECT_EQ(map, cleaned(R"({"keys": ["seg"], "dims": 2})"));
  const std::vector<float> probs = values<float>(out.get<Tensor>("probs"));
  for (size_t i = 0; i < 36; ++i) {
    const int64_t again = probs[36 + i] > 0.5f ? 2 : probs[i] > 0.5f ? 1 : 0;
    EXPECT_EQ(again, map[i]) << i;
    if (map[i] == kMap[i]) {  // kept voxels keep their probabilities
      EXPECT_FLOAT_EQ(probs[i], regions[i]) << i;
      EXPECT_FLOAT_EQ(probs[36 + i], regions[36 + i]) << i;
    } else {
      EXPECT_EQ(probs[i], 0.0f) << i;
      EXPECT_EQ(probs[36 + i], 0.0f) << i;
    }
  }
  EXPECT_EQ(error_of([&] { run_op("fuse.medical.keep_components", R"({"keys": ["seg"], "dims": 2, "scores": "probs", "scores_are": "regions", "background": 3})", s); }),
            "op 'fuse.medical.keep_components' (plugin 'fuse.ops_medical'): create failed: 'scores_are' \"regions\" needs 'background' 0 (a voxel "
            "outside every region is label 0), got 3");
}

TEST(KeepComponents, EachMapOfABatchOnItsOwnAndBadShapesNamed) {
  std::vector<int64_t> only_a(36, 0);
  only_a[0] = only_a[1] = only_a[6] = only_a[7] = 1;
  const std::vector<int64_t> both = values<int64_t>(run_op("fuse.medical.keep_components", R"({"keys": ["seg"], "dims": 2})", maps({kMap, only_a})).get<Tensor>("seg"));
  EXPECT_EQ(std::vector<int64_t>(both.begin() + 36, both.end()), only_a);  // A is the second map's largest
  NDict flat;
  flat.set("seg", Value(Tensor::from_vector<int64_t>(kMap, {6, 6})));
  EXPECT_EQ(error_of([&] { run_op("fuse.medical.keep_components", R"({"keys": ["seg"]})", flat); }),
            "op 'fuse.medical.keep_components' (plugin 'fuse.ops_medical'): key 'seg': a 3D image needs at least 3 axes, got shape [6, 6]");
}

}  // namespace
}  // namespace fuse
