// A smooth dense displacement field from a coarse grid of control-point displacements (cubic B-spline), computed
// one axis at a time so the cost is a few multiply-adds per voxel.
#ifndef FUSE_PLUGINS_OPS_MEDICAL_ELASTIC_FIELD_H_
#define FUSE_PLUGINS_OPS_MEDICAL_ELASTIC_FIELD_H_

#include <vector>

#include "geometry.h"

namespace fuse::ops_medical {

// `control` holds grid^dims points (x fastest), 3 displacement components each (voxel units); the grid spans
// the volume from its first to its last voxel. The result holds 3 floats per voxel, x fastest.
std::vector<float> bspline_field(volume::Size3 size, int dims, int grid, const std::vector<float>& control);

}  // namespace fuse::ops_medical

#endif  // FUSE_PLUGINS_OPS_MEDICAL_ELASTIC_FIELD_H_
