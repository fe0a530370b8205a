#include "resample.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace fuse::volume {
namespace {

std::vector<float> ramp(Size3 s) {
  std::vector<float> v(static_cast<size_t>(s.count()));
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(Resample, IdentityCopies) {
  const Size3 s{4, 3, 2};
  const std::vector<float> in = ramp(s);
  std::vector<float> out(in.size());
  resample<float>(in.data(), s, out.data(), s, 1, IndexMap{}, nullptr, Interpolation::kLinear, -1);
  EXPECT_EQ(out, in);
}

// Whole-voxel maps take a strided-copy path; nudging the map by 1e-7 voxel forces the general nearest path,
// which must agree (rows partly outside fall back to it and read the fill).
TEST(Resample, WholeVoxelMapsCopyWhatNearestWouldRead) {
  const Size3 s{5, 4, 3};
  std::vector<int16_t> in(static_cast<size_t>(2 * s.count()));
  std::iota(in.begin(), in.end(), int16_t{0});
  IndexMap flip_x, rot_xy, permute, shift;
  flip_x.m[0][0] = -1, flip_x.m[0][3] = 4;
  rot_xy.m[0][0] = rot_xy.m[1][1] = 0, rot_xy.m[0][1] = -1, rot_xy.m[0][3] = 4, rot_xy.m[1][0] = 1;  // out 4 x 5 x 3
  permute.m[0][0] = permute.m[2][2] = 0, permute.m[0][2] = 1, permute.m[2][0] = 1;                     // out 3 x 4 x 5
  shift.m[0][3] = 2, shift.m[2][3] = -1;                                                               // partly outside
  const std::vector<std::pair<IndexMap, Size3>> cases = {{flip_x, s}, {rot_xy, Size3{4, 5, 3}}, {permute, Size3{3, 4, 5}}, {shift, s}};
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [map, out_size] = cases[i];
    IndexMap nudged = map;
    for (auto& row : nudged.m) row[3] += 1e-7;
    std::vector<int16_t> fast(static_cast<size_t>(2 * out_size.count())), general(fast.size());
    resample<int16_t>(in.data(), s, fast.data(), out_size, 2, map, nullptr, Interpolation::kNearest, -7);
    resample<int16_t>(in.data(), s, general.data(), out_size, 2, nudged, nullptr, Interpolation::kNearest, -7);
    EXPECT_EQ(fast, general) << "case " << i;
  }
  // A flip reads x backwards: the first row of channel 1 (which starts at 60) comes out reversed.
  std::vector<int16_t> out(in.size());
  resample<int16_t>(in.data(), s, out.data(), s, 2, flip_x, nullptr, Interpolation::kNearest, 0);
  EXPECT_EQ(std::vector<int16_t>(out.begin() + 60, out.begin() + 65), (std::vector<int16_t>{64, 63, 62, 61, 60}));
}

TEST(Resample, LinearInterpolatesBetweenVoxels) {
  const Size3 s{3, 1, 1};
  const std::vector<float> in = {0, 10, 30};
  IndexMap half;  // output x reads input x / 2
  half.m[0][0] = 0.5;
  std::vector<float> out(5);
  resample<float>(in.data(), s, out.data(), Size3{5, 1, 1}, 1, half, nullptr, Interpolation::kLinear, -1);
  EXPECT_EQ(out, (std::vector<float>{0, 5, 10, 20, 30}));
  std::vector<float> nearest(5);
  resample<float>(in.data(), s, nearest.data(), Size3{5, 1, 1}, 1, half, nullptr, Interpolation::kNearest, -1);
  EXPECT_EQ(nearest, (std::vector<float>{0, 10, 10, 30, 30}));  // ties round up
}

TEST(Resample, OutsideReadsFillAndEdgesRepeat) {
  const std::vector<float> in = {4, 8};
  IndexMap shift;
  shift.m[0][3] = -0.5;  // output x reads input x - 0.5
  std::vector<float> out(4);
  resample<float>(in.data(), Size3{2, 1, 1}, out.data(), Size3{4, 1, 1}, 1, shift, nullptr, Interpolation::kLinear, 0);
  EXPECT_EQ(out, (std::vector<float>{4, 6, 8, 0}));  // -0.5 and 1.5 are the extent's edges
}

TEST(Resample, DisplacementMovesSamples) {
  const Size3 s{4, 2, 1};
  const std::vector<float> in = ramp(s);
  std::vector<float> disp(static_cast<size_t>(3 * s.count()), 0.0f);
  disp[3 * 5 + 1] = -1;  // output (1, 1) reads input (1, 0)
  std::vector<float> out(in.size());
  resample<float>(in.data(), s, out.data(), s, 1, IndexMap{}, disp.data(), Interpolation::kLinear, 0);
  EXPECT_EQ(out[5], 1.0f);
  EXPECT_EQ(out[4], 4.0f);
}

TEST(Resample, ChannelsShareTheDraw) {
  const Size3 s{2, 2, 2};
  std::vector<int16_t> in(16);
  std::iota(in.begin(), in.end(), int16_t{0});
  IndexMap flip_x;
  flip_x.m[0][0] = -1, flip_x.m[0][3] = 1;
  std::vector<int16_t> out(16);
  resample<int16_t>(in.data(), s, out.data(), s, 2, flip_x, nullptr, Interpolation::kNearest, 0);
  EXPECT_EQ(out, (std::vector<int16_t>{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}));
}

TEST(Resample, FlatAxesOfTwoDimensionalImages) {
  const Size3 s{2, 2, 1};
  const std::vector<float> in = {0, 2, 4, 6};
  IndexMap half;
  half.m[0][0] = 0.5, half.m[1][1] = 0.5;
  std::vector<float> out(9);
  resample<float>(in.data(), s, out.data(), Size3{3, 3, 1}, 1, half, nullptr, Interpolation::kLinear, -1);
  EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 2, 3, 4, 4, 5, 6}));
}

}  // namespace
}  // namespace fuse::volume
