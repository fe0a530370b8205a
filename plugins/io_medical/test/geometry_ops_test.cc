#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "test_support.h"
#include "volume_sample.h"

namespace fuse::io_medical {
namespace {

using fuse::testing::error_of;
using fuse::testing::run_op;
using fuse::testing::values;
using testing::doubles;
using testing::set_volume;
using testing::world;

// Every voxel's value sits at the same world position before and after the op.
void expect_same_world_positions(const NDict& before, const NDict& after, const std::string& key) {
  const std::vector<double> size_before = doubles(before, key + "_meta.size"), size_after = doubles(after, key + "_meta.size");
  const std::vector<float> v_before = values<float>(before.get<Tensor>(key)), v_after = values<float>(after.get<Tensor>(key));
  std::map<float, std::array<double, 3>> where;
  for (int64_t z = 0, i = 0; z < static_cast<int64_t>(size_before[2]); ++z)
    for (int64_t y = 0; y < static_cast<int64_t>(size_before[1]); ++y)
      for (int64_t x = 0; x < static_cast<int64_t>(size_before[0]); ++x, ++i)
        where[v_before[static_cast<size_t>(i)]] = world(before, key + "_meta", {double(x), double(y), double(z)});
  for (int64_t z = 0, i = 0; z < static_cast<int64_t>(size_after[2]); ++z)
    for (int64_t y = 0; y < static_cast<int64_t>(size_after[1]); ++y)
      for (int64_t x = 0; x < static_cast<int64_t>(size_after[0]); ++x, ++i) {
        const std::array<double, 3> p = world(after, key + "_meta", {double(x), double(y), double(z)});
        const std::array<double, 3> q = where.at(v_after[static_cast<size_t>(i)]);
        for (size_t r = 0; r < 3; ++r) ASSERT_NEAR(p[r], q[r], 1e-9) << "value " << v_after[static_cast<size_t>(i)];
      }
}

TEST(Reorient, LpsToRasFlipsXAndY) {
  NDict s;
  set_volume<float>(s, "img", {3, 4, 5}, {1, 2, 3}, {5, 6, 7}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const NDict out = run_op("fuse.medical.reorient", R"({"keys": ["img"]})", s);
  EXPECT_EQ(out.get<std::string>("img_meta.orientation"), "RAS");
  EXPECT_EQ(out.get<Tensor>("img").shape(), (std::vector<int64_t>{1, 5, 4, 3}));
  EXPECT_EQ(values<float>(out.get<Tensor>("img"))[0], 11.0f);  // (x 2, y 3, z 0) of the input
  EXPECT_EQ(doubles(out, "img_meta.origin"), (std::vector<double>{7, 12, 7}));
  expect_same_world_positions(s, out, "img");
}

TEST(Reorient, PermutedAxesComeBackInOrder) {
  NDict s;
  // x runs posterior, y inferior, z left ("PIL").
  set_volume<float>(s, "img", {2, 3, 4}, {1, 2, 3}, {0, 0, 0}, {0, 0, 1, 1, 0, 0, 0, -1, 0});
  const NDict out = run_op("fuse.medical.reorient", R"({"keys": ["img"], "orientation": "LPS"})", s);
  EXPECT_EQ(out.get<std::string>("img_meta.orientation"), "LPS");
  EXPECT_EQ(doubles(out, "img_meta.size"), (std::vector<double>{4, 2, 3}));
  EXPECT_EQ(doubles(out, "img_meta.spacing"), (std::vector<double>{3, 1, 2}));
  expect_same_world_positions(s, out, "img");
}

TEST(Reorient, BadCodesAndMissingGeometryAreErrors) {
  EXPECT_EQ(error_of([] { run_op("fuse.medical.reorient", R"({"keys": ["img"], "orientation": "RAX"})", NDict()); }),
            "op 'fuse.medical.reorient' (plugin 'fuse.io_medical'): create failed: orientation 'RAX' must have 3 letters, one of L/R, P/A, S/I each (e.g. RAS)");
  NDict s;
  s.set("img", Value(Tensor::zeros({1, 2, 2, 2}, sdk::kFloat32)));
  const std::string message = error_of([&] { run_op("fuse.medical.reorient", R"({"keys": ["img"]})", s); });
  EXPECT_NE(message.find("img_meta"), std::string::npos) << message;
}

TEST(Resample, HalvingTheSpacingInterpolatesImagesAndCopiesLabels) {
  NDict s;
  set_volume<float>(s, "img", {3, 1, 1}, {2, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  set_volume<uint8_t>(s, "mask", {3, 1, 1}, {2, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const NDict out = run_op("fuse.medical.resample", R"({"keys": ["img"], "labels": ["mask"], "spacing": [1, -1, -1]})", s);
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2}));  // the edge voxel repeats
  EXPECT_EQ(values<uint8_t>(out.get<Tensor>("mask")), (std::vector<uint8_t>{0, 1, 1, 2, 2, 2}));
  EXPECT_EQ(doubles(out, "img_meta.spacing"), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(doubles(out, "mask_meta.size"), (std::vector<double>{6, 1, 1}));
}

TEST(Resample, IntegerImagesBecomeFloat) {
  NDict s;
  set_volume<int16_t>(s, "ct", {4, 4, 2}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const NDict out = run_op("fuse.medical.resample", R"({"keys": ["ct"], "spacing": [2, 2, 1]})", s);
  EXPECT_TRUE(sdk::dtype_eq(out.get<Tensor>("ct").dtype(), sdk::kFloat32));
  EXPECT_EQ(out.get<Tensor>("ct").shape(), (std::vector<int64_t>{1, 2, 2, 2}));
  EXPECT_EQ(values<float>(out.get<Tensor>("ct"))[1], 2.0f);
}

TEST(Resample, SpacingMustFitTheVolume) {
  EXPECT_EQ(error_of([] { run_op("fuse.medical.resample", R"({"keys": ["a"], "spacing": [1]})", NDict()); }),
            "op 'fuse.medical.resample' (plugin 'fuse.io_medical'): create failed: 'spacing' needs 2 or 3 values (x, y[, z]), got 1");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.resample", R"({"keys": ["a"], "spacing": [1, 0, 1]})", NDict()); }),
            "op 'fuse.medical.resample' (plugin 'fuse.io_medical'): create failed: 'spacing' values must be > 0 (or -1 to keep an axis), got 0.000000");
  NDict s;
  set_volume<float>(s, "img", {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  EXPECT_EQ(error_of([&] { run_op("fuse.medical.resample", R"({"keys": ["img"], "spacing": [1, 1]})", s); }),
            "op 'fuse.medical.resample' (plugin 'fuse.io_medical'): key 'img' is 3D but 'spacing' has 2 values");
}

TEST(ResampleLike, LaysScoresAndLabelsOntoTheOtherGrid) {
  NDict s;
  // The target: 3 voxels of 2 mm along x from x = 1 mm; the volumes: 6 voxels of 1 mm from x = 0.
  set_volume<float>(s, "img", {3, 1, 1}, {2, 1, 1}, {1, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  set_volume<float>(s, "scores", {6, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  set_volume<uint8_t>(s, "mask", {6, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const NDict out = run_op("fuse.medical.resample_like", R"({"keys": ["scores"], "labels": ["mask"], "like": "img"})", s);
  // World x 1, 3, 5 mm: voxels 1, 3, 5 of the 1 mm grid.
  EXPECT_EQ(values<float>(out.get<Tensor>("scores")), (std::vector<float>{1, 3, 5}));
  EXPECT_EQ(values<uint8_t>(out.get<Tensor>("mask")), (std::vector<uint8_t>{1, 3, 5}));
  EXPECT_EQ(doubles(out, "scores_meta.size"), (std::vector<double>{3, 1, 1}));
  EXPECT_EQ(doubles(out, "mask_meta.spacing"), (std::vector<double>{2, 1, 1}));
  EXPECT_EQ(doubles(out, "mask_meta.origin"), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{0, 1, 2}));  // the grid's own volume untouched
}

TEST(ResampleLike, InterpolatesOntoAFinerGridAndRepeatsTheEdge) {
  NDict s;
  // Class scores [2 classes, 1, 1, 3] at 2 mm onto a 1 mm grid (6 voxels) over the same extent.
  set_volume<float>(s, "like", {6, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  set_volume<float>(s, "scores", {3, 1, 1}, {2, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  Tensor two = Tensor::empty({2, 1, 1, 3}, sdk::kFloat32);
  const float v[] = {0, 1, 2, 10, 20, 30};
  std::copy(v, v + 6, two.mutable_data<float>());
  s.set("scores", Value(std::move(two)));
  const NDict out = run_op("fuse.medical.resample_like", R"({"keys": ["scores"], "like": "like"})", s);
  EXPECT_EQ(out.get<Tensor>("scores").shape(), (std::vector<int64_t>{2, 1, 1, 6}));
  EXPECT_EQ(values<float>(out.get<Tensor>("scores")), (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2, 10, 15, 20, 25, 30, 30}));
}

TEST(ResampleLike, AVolumeOnTheGridAlreadyIsKept) {
  NDict s;
  set_volume<float>(s, "a", {2, 3, 4}, {1, 1, 2}, {5, 6, 7}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  set_volume<float>(s, "b", {2, 3, 4}, {1, 1, 2}, {5, 6, 7}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const NDict out = run_op("fuse.medical.resample_like", R"({"keys": ["b"], "like": "a"})", s);
  EXPECT_TRUE(out.get<Tensor>("b").shares_buffer_with(s.get<Tensor>("b")));
}

TEST(ResampleLike, MissingGeometryAndVolumesOffTheirGridAreErrors) {
  EXPECT_EQ(error_of([] { run_op("fuse.medical.resample_like", R"({"like": "img"})", NDict()); }),
            "op 'fuse.medical.resample_like' (plugin 'fuse.io_medical'): create failed: give 'keys' (images) or 'labels' to resample onto the grid of 'img'");
  NDict s;
  set_volume<float>(s, "img", {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  s.set("scores", Value(Tensor::zeros({1, 2, 2, 2}, sdk::kFloat32)));
  const auto starts_with = [](const std::string& text, const std::string& start) { return text.rfind(start, 0) == 0; };
  std::string message = error_of([&] { run_op("fuse.medical.resample_like", R"({"keys": ["scores"], "like": "img"})", s); });
  EXPECT_TRUE(starts_with(message, "op 'fuse.medical.resample_like' (plugin 'fuse.io_medical'): key 'scores_meta' missing; present: img, img_meta")) << message;
  set_volume<float>(s, "scores", {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  message = error_of([&] { run_op("fuse.medical.resample_like", R"({"keys": ["scores"], "like": "other"})", s); });
  EXPECT_TRUE(starts_with(message, "op 'fuse.medical.resample_like' (plugin 'fuse.io_medical'): key 'other_meta' missing; nearest present: img_meta, scores_meta")) << message;
  set_volume<float>(s, "scores", {2, 2, 3}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  s.set("scores", Value(Tensor::zeros({1, 2, 2, 2}, sdk::kFloat32)));
  EXPECT_EQ(error_of([&] { run_op("fuse.medical.resample_like", R"({"keys": ["scores"], "like": "img"})", s); }),
            "op 'fuse.medical.resample_like' (plugin 'fuse.io_medical'): key 'scores' is of shape [1, 2, 2, 2], which is not the grid of 'scores_meta' "
            "(2 x 2 x 3 voxels, x first)");
}

}  // namespace
}  // namespace fuse::io_medical
