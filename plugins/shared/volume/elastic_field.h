// A smooth dense displacement field from a coarse grid of control-point displacements (cubic B-spline), computed
// one axis at a time so the cost is a few multiply-adds per voxel.
#ifndef FUSE_PLUGINS_SHARED_VOLUME_ELASTIC_FIELD_H_
#define FUSE_PLUGINS_SHARED_VOLUME_ELASTIC_FIELD_H_

#include <array>
#include <cstdint>
#include <vector>

#include "geometry.h"

namespace fuse::volume {

// For each voxel along an axis of n voxels: the first of its four control points (of `grid` spanning the axis)
// and their cubic B-spline weights. The GPU twin uploads these tables and sums in the same order.
struct AxisWeights {
  std::vector<int64_t> first;
  std::vector<std::array<float, 4>> w;
};
AxisWeights axis_weights(int64_t n, int grid);

// `control` holds grid^dims points (x fastest), 3 displacement components each (voxel units); the grid spans
// the volume from its first to its last voxel. The result holds 3 floats per voxel, x fastest.
std::vector<float> bspline_field(Size3 size, int dims, int grid, const std::vector<float>& control);

}  // namespace fuse::volume

#endif  // FUSE_PLUGINS_SHARED_VOLUME_ELASTIC_FIELD_H_
