#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::run_op_training;
using testing::values;

constexpr const char* kId = "fuse.medical.random_label_morphology";

// [channels, 7, 7] float maps: channel 0 all ones, channel 1 `map`.
NDict one_hot(const std::vector<float>& map) {
  std::vector<float> v(49, 1.0f);
  v.insert(v.end(), map.begin(), map.end());
  NDict s;
  s.set("m", Value(Tensor::from_vector<float>(v, {2, 7, 7})));
  return s;
}

// A 7 x 7 map with the voxels at (y, x) in `at` set.
std::vector<float> map_of(const std::vector<std::pair<int, int>>& at) {
  std::vector<float> m(49, 0.0f);
  for (const auto& [y, x] : at) m[static_cast<size_t>(y * 7 + x)] = 1.0f;
  return m;
}

std::vector<std::pair<int, int>> square(int y0, int x0, int side) {
  std::vector<std::pair<int, int>> out;
  for (int y = y0; y < y0 + side; ++y)
    for (int x = x0; x < x0 + side; ++x) out.emplace_back(y, x);
  return out;
}

// Channel 1 after one operation of radius 1 (channel 0, not listed, stays as it was).
std::vector<float> changed(const std::string& operation, const std::vector<float>& map) {
  const std::string config = R"({"keys": ["m"], "dims": 2, "channels": [1], "p": 1, "remove_p": 0, "radius": [1, 1], "operations": [")" + operation + R"("]})";
  const std::vector<float> v = values<float>(run_op_training(kId, config, one_hot(map), 7).get<Tensor>("m"));
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 49), std::vector<float>(49, 1.0f)) << operation;
  return std::vector<float>(v.begin() + 49, v.end());
}

TEST(RandomLabelMorphology, EachOperationByABallOfItsRadius) {
  // A voxel grows into the ball of radius 1: itself and its 4 face neighbours.
  EXPECT_EQ(changed("dilation", map_of({{3, 3}})), map_of({{3, 3}, {2, 3}, {4, 3}, {3, 2}, {3, 4}}));
  // A 3 x 3 square shrinks to its centre; opened, it is that centre's ball.
  EXPECT_EQ(changed("erosion", map_of(square(2, 2, 3))), map_of({{3, 3}}));
  EXPECT_EQ(changed("opening", map_of(square(2, 2, 3))), map_of({{3, 3}, {2, 3}, {4, 3}, {3, 2}, {3, 4}}));
  // Closing fills a one-voxel hole of a 5 x 5 square and gives back the square.
  std::vector<std::pair<int, int>> ring = square(1, 1, 5);
  ring.erase(std::find(ring.begin(), ring.end(), std::pair<int, int>{3, 3}));
  EXPECT_EQ(changed("closing", map_of(ring)), map_of(square(1, 1, 5)));
}

TEST(RandomLabelMorphology, RemovesOneSmallComponent) {
  // A 2 x 2 block (4 of 49 voxels) and a lone voxel: with at most 3% of the voxels, only the lone voxel may go.
  const std::vector<std::pair<int, int>> block = square(0, 0, 2);
  std::vector<std::pair<int, int>> both = block;
  both.emplace_back(5, 5);
  const std::string config = R"({"keys": ["m"], "dims": 2, "channels": [1], "p": 0, "remove_p": 1, "remove_max_share": 0.03})";
  const std::vector<float> v = values<float>(run_op_training(kId, config, one_hot(map_of(both)), 3).get<Tensor>("m"));
  EXPECT_EQ(std::vector<float>(v.begin() + 49, v.end()), map_of(block));
  // With 15%, one of the two goes, the draw's.
  const std::string any = R"({"keys": ["m"], "dims": 2, "channels": [1], "p": 0, "remove_p": 1})";
  std::set<std::vector<float>> seen;
  for (uint64_t seed = 0; seed < 16; ++seed) {
    const std::vector<float> w = values<float>(run_op_training(kId, any, one_hot(map_of(both)), seed).get<Tensor>("m"));
    seen.insert(std::vector<float>(w.begin() + 49, w.end()));
  }
  EXPECT_EQ(seen, (std::set<std::vector<float>>{map_of(block), map_of({{5, 5}})}));
}

TEST(RandomLabelMorphology, OnlyInTrainingAndTheSameForASeed) {
  const NDict in = one_hot(map_of(square(2, 2, 3)));
  const std::string config = R"({"keys": ["m"], "dims": 2, "p": 1, "remove_p": 1})";
  EXPECT_EQ(values<float>(run_op(kId, config, in).get<Tensor>("m")), values<float>(in.get<Tensor>("m")));  // validation, inference
  EXPECT_EQ(values<float>(run_op_training(kId, config, in, 5).get<Tensor>("m")), values<float>(run_op_training(kId, config, in, 5).get<Tensor>("m")));
  EXPECT_EQ(values<float>(run_op_training(kId, R"({"keys": ["m"], "dims": 2, "p": 0, "remove_p": 0})", in, 5).get<Tensor>("m")),
            values<float>(in.get<Tensor>("m")));
}

TEST(RandomLabelMorphology, BadSettingsAreNamed) {
  const NDict in = one_hot(map_of({{3, 3}}));
  EXPECT_EQ(error_of([&] { run_op_training(kId, R"({"keys": ["m"], "dims": 2, "radius": [0, 2]})", in, 1); }),
            "op 'fuse.medical.random_label_morphology' (plugin 'fuse.ops_medical'): create failed: 'radius' is [low, high] in voxels with 1 <= low <= high, "
            "e.g. [1, 8]");
  EXPECT_EQ(error_of([&] { run_op_training(kId, R"({"keys": ["m"], "dims": 2, "operations": ["blur"]})", in, 1); }),
            "op 'fuse.medical.random_label_morphology' (plugin 'fuse.ops_medical'): create failed: 'operations': 'blur' is none of dilation, erosion, "
            "opening, closing");
  EXPECT_EQ(error_of([&] { run_op_training(kId, R"({"keys": ["m"], "dims": 2, "channels": [2]})", in, 1); }),
            "op 'fuse.medical.random_label_morphology' (plugin 'fuse.ops_medical'): key 'm': 'channels' names channel 2 of 2");
}

}  // namespace
}  // namespace fuse
