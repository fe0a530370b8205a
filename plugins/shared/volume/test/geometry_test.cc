#include "geometry.h"

#include <gtest/gtest.h>

namespace fuse::volume {
namespace {

Geometry with_direction(std::array<double, 9> d) {
  Geometry g;
  g.direction = d;
  return g;
}

TEST(Orientation, CodesFollowTheWorldDirectionOfEachAxis) {
  EXPECT_EQ(orientation_code(Geometry{}), "LPS");  // ITK's identity
  EXPECT_EQ(orientation_code(with_direction({-1, 0, 0, 0, -1, 0, 0, 0, 1})), "RAS");  // a plain NIfTI
  EXPECT_EQ(orientation_code(with_direction({0, 0, 1, 1, 0, 0, 0, -1, 0})), "PIL");
  // Oblique: the dominant world axis wins.
  EXPECT_EQ(orientation_code(with_direction({0.96, -0.28, 0, 0.28, 0.96, 0, 0, 0, 1})), "LPS");
  Geometry flat;
  flat.dims = 2;
  EXPECT_EQ(orientation_code(flat), "LP");
}

TEST(Orientation, CodesGiveTheirDirections) {
  EXPECT_EQ(direction_of_code("RAS"), (std::array<double, 9>{-1, 0, 0, 0, -1, 0, 0, 0, 1}));
  EXPECT_EQ(orientation_code(with_direction(direction_of_code("ASL"))), "ASL");
  EXPECT_THROW(direction_of_code("RAR"), sdk::Error);
  try {
    direction_of_code("XYZ");
  } catch (const sdk::Error& e) {
    EXPECT_STREQ(e.what(), "orientation 'XYZ' must have 3 letters, one of L/R, P/A, S/I each (e.g. RAS)");
  }
}

TEST(Transformed, ResamplingMapKeepsOriginAndScalesSpacing) {
  Geometry g;
  g.spacing = {1, 1, 3};
  g.origin = {10, 20, 30};
  IndexMap map;  // output voxel o reads input voxel (o.x / 2, o.y / 2, o.z * 1.5)
  map.m[0][0] = 0.5, map.m[1][1] = 0.5, map.m[2][2] = 1.5;
  const Geometry out = transformed(g, map, Size3{20, 20, 10});
  EXPECT_EQ(out.spacing, (std::array<double, 3>{0.5, 0.5, 4.5}));
  EXPECT_EQ(out.origin, g.origin);
  EXPECT_EQ(out.size, (Size3{20, 20, 10}));
}

TEST(Transformed, AFlipMovesTheOriginToTheOtherEnd) {
  Geometry g;
  g.spacing = {2, 1, 1};
  g.size = {5, 1, 1};
  IndexMap flip;  // input x = 4 - output x
  flip.m[0][0] = -1, flip.m[0][3] = 4;
  const Geometry out = transformed(g, flip, g.size);
  EXPECT_DOUBLE_EQ(out.origin[0], 8.0);
  EXPECT_DOUBLE_EQ(out.direction[0], -1.0);
  EXPECT_EQ(orientation_code(out), "RPS");
}

TEST(Compose, AppliesInnerFirst) {
  IndexMap shift, scale;
  shift.m[0][3] = 3;
  scale.m[0][0] = 2;
  const IndexMap both = compose(shift, scale);  // x -> 2x + 3
  EXPECT_DOUBLE_EQ(both.m[0][0], 2);
  EXPECT_DOUBLE_EQ(both.m[0][3], 3);
  const IndexMap other = compose(scale, shift);  // x -> 2 (x + 3)
  EXPECT_DOUBLE_EQ(other.m[0][3], 6);
}

}  // namespace
}  // namespace fuse::volume
